package safefile

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// readFlags open without blocking (a FIFO without a writer) and without making
// a terminal the process's controlling terminal.
const readFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

// errSyncUnsupported is what fsync of a directory says on file systems that
// cannot (some FUSE and network file systems).
var errSyncUnsupported = syscall.EINVAL

// renameNoReplace renames oldpath to newpath unless newpath exists (then the
// error matches fs.ErrExist), atomically: renameat2(RENAME_NOREPLACE), or a
// hard link and an unlink on a file system without it.
func renameNoReplace(oldpath, newpath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return linkNoReplace(oldpath, newpath)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}
