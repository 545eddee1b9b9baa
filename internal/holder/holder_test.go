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
	ended := Holder{Name: "x", Host: me.Host, PID: cmd.Process.Pid}
	if !ended.Gone() {
		t.Errorf("an ended process (pid %d) is not gone", ended.PID)
	}
	// Of another machine, or without a pid, nothing is known.
	for _, h := range []Holder{{Name: "x", Host: me.Host + "-other", PID: cmd.Process.Pid}, {Name: "x", Host: me.Host}, {Name: "x"}} {
		if h.Gone() {
			t.Errorf("%+v is gone", h)
		}
	}
}
