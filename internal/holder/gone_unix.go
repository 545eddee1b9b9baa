//go:build unix

package holder

import (
	"errors"
	"syscall"
)

// processGone: signal 0 checks that a process exists without touching it.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
