package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// errNoAttr is the error of getxattr and removexattr for an absent attribute.
var errNoAttr = unix.ENODATA

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

func setxattr(f *os.File, name string, value []byte) error {
	return os.NewSyscallError("fsetxattr", unix.Fsetxattr(int(f.Fd()), name, value, 0))
}

func removexattr(f *os.File, name string) error {
	err := unix.Fremovexattr(int(f.Fd()), name)
	if err == unix.ENODATA {
		return errNoAttr
	}
	return os.NewSyscallError("fremovexattr", err)
}

func getxattr(f *os.File, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Fgetxattr(int(f.Fd()), name, buf)
		switch {
		case err == unix.ERANGE:
			buf = make([]byte, 2*len(buf))
			continue
		case err == unix.ENODATA:
			return nil, errNoAttr
		case err != nil:
			return nil, os.NewSyscallError("fgetxattr", err)
		}
		return buf[:n], nil
	}
}

// probe checks that the filesystem under dir has what the store depends on:
// renameat2 with RENAME_NOREPLACE (create-once) and user extended attributes
// (retention and holds).
func probe(dir string) error {
	f, err := os.CreateTemp(dir, "probe-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := setxattr(f, "user.gongshi.probe", []byte("1")); err != nil {
		return fmt.Errorf("the filesystem has no user extended attributes (%v), which hold retention dates and legal holds: use ext4, xfs or btrfs", err)
	}
	b := filepath.Join(dir, filepath.Base(f.Name())+"-b")
	defer os.Remove(b)
	if err := renameNoReplace(f.Name(), b); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("the filesystem has no atomic create-once (renameat2 RENAME_NOREPLACE): use ext4, xfs or btrfs")
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
			return os.NewSyscallError("flock", err)
		}
	}
}
