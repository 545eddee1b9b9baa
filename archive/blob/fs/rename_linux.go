package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames oldpath to newpath unless newpath exists, atomically:
// of several racing renames onto one name, from any processes, one succeeds and
// the others fail with an error matching fs.ErrExist.
func renameNoReplace(oldpath, newpath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// probeRename checks that the filesystem under dir supports renameat2 with
// RENAME_NOREPLACE, on which create-once depends.
func probeRename(dir string) error {
	a, err := os.MkdirTemp(dir, "probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(a)
	b := filepath.Join(dir, filepath.Base(a)+"-b")
	defer os.RemoveAll(b)
	if err := renameNoReplace(a, b); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("the filesystem does not support atomic create-once (renameat2 RENAME_NOREPLACE): use ext4, xfs, btrfs or tmpfs")
		}
		return err
	}
	return nil
}

// flock takes an exclusive advisory lock on f, released when f is closed.
func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			return err
		}
	}
}
