package holder

import (
	"os"
	"os/exec"
	"testing"
)

func TestGone(t *testing.T) {
	me := New()
	if got := Parse("x\n" + me.Lines()); got != me {
		t.Fatalf("Parse(Lines) = %+v, want %+v", got, me)
	}
	if me.Gone() {
		t.Fatal("this process is gone")
	}
	// A process that ran and ended.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ended := Holder{Name: "x", Host: me.Host, Machine: me.Machine, PID: cmd.Process.Pid}
	if !ended.Gone() {
		t.Errorf("an ended process (pid %d) is not gone", ended.PID)
	}
	// Of another machine (another host; the same host name with another boot
	// or pid namespace: another container), or without a pid, nothing is known.
	for _, h := range []Holder{
		{Name: "x", Host: me.Host + "-other", Machine: me.Machine, PID: cmd.Process.Pid},
		{Name: "x", Host: me.Host, Machine: me.Machine + "-other", PID: cmd.Process.Pid},
		{Name: "x", Host: me.Host, Machine: me.Machine},
		{Name: "x"},
	} {
		if h.Gone() {
			t.Errorf("%+v is gone", h)
		}
	}
}
