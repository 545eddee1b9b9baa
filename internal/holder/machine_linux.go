//go:build linux

package holder

import (
	"os"
	"strings"
)

// localMachine is the kernel's boot id and the pid namespace of this process:
// pids are comparable only between processes that share both. "" when either
// cannot be read: then the host name alone says where a pid counts, as on
// other systems.
func localMachine() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid") // "pid:[4026531836]"
	if err != nil {
		return ""
	}
	return oneWord(strings.TrimSpace(string(boot))) + "." + oneWord(strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]"))
}
