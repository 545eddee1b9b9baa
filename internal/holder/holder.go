package holder

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// Holder is one process holding something.
type Holder struct {
	Name string // random, unique per holder
	Host string // the machine's host name, "" when unknown
	// Machine says where PID is counted: on Linux the boot id and the pid
	// namespace; "" elsewhere.
	Machine string
	PID     int
}

// New returns a holder for this process with a fresh random name.
func New() Holder {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return Holder{Name: hex.EncodeToString(b[:]), Host: localHost(), Machine: localMachine(), PID: os.Getpid()}
}

// localHost is the host name, reduced to the characters that cannot break a line.
func localHost() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return oneWord(h)
}

// oneWord keeps the characters of s that cannot break a line or a word.
func oneWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}

// Lines is the holder as the lines "holder <name>", "host <host>", "machine
// <machine>", "pid <pid>", each ending in a newline, for the text of a lease or
// turn object.
func (h Holder) Lines() string {
	return "holder " + h.Name + "\nhost " + h.Host + "\nmachine " + h.Machine + "\npid " + strconv.Itoa(h.PID) + "\n"
}

// Parse reads the holder lines of text; missing ones are zero.
func Parse(text string) Holder {
	var h Holder
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "holder":
			h.Name = v
		case "host":
			h.Host = v
		case "machine":
			h.Machine = v
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		}
	}
	return h
}

// Gone reports whether h is known to have ended: a process of this machine
// (host, boot and pid namespace) whose pid no longer exists. It is false for
// every other holder.
func (h Holder) Gone() bool {
	if h.Host == "" || h.PID <= 0 || h.Host != localHost() || h.Machine != localMachine() || h.PID == os.Getpid() {
		return false
	}
	return processGone(h.PID)
}
