package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// errNoAttr is the error of getxattr and removexattr for an absent attribute.
var errNoAttr = unix.ENODATA

// openUnnamed creates an unnamed regular file in dir (O_TMPFILE), which vanishes
// if the process dies before linkUnnamed names it.
func openUnnamed(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return nil, &os.PathError{Op: "open O_TMPFILE", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir+"/(unnamed)"), nil
}

// linkUnnamed gives the unnamed file f the name path unless path exists,
// atomically: of several racing links onto one name, from any processes, one
// succeeds and the others fail with an error matching fs.ErrExist.
func linkUnnamed(f *os.File, path string) error {
	// Through /proc, as an unprivileged process can; AT_EMPTY_PATH would need
	// CAP_DAC_READ_SEARCH.
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err == unix.ENOENT {
		if _, serr := os.Stat(proc); serr != nil { // no /proc: try the privileged way
			err = unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
		}
	}
	if err != nil {
		return &os.LinkError{Op: "linkat", Old: f.Name(), New: path, Err: err}
	}
	return nil
}

// setMtime sets the modification (and access) time of f.
func setMtime(f *os.File, t time.Time) error {
	tv := []unix.Timeval{unix.NsecToTimeval(t.UnixNano()), unix.NsecToTimeval(t.UnixNano())}
	return os.NewSyscallError("futimes", unix.Futimes(int(f.Fd()), tv))
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
// unnamed files and linkat (create-once) and user extended attributes (retention
// and holds).
func probe(dir string) error {
	f, err := openUnnamed(dir)
	if err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("the filesystem has no unnamed files (O_TMPFILE), on which atomic create-once depends: use ext4, xfs or btrfs")
		}
		return err
	}
	defer f.Close()
	if err := setxattr(f, "user.gongshi.probe", []byte("1")); err != nil {
		return fmt.Errorf("the filesystem has no user extended attributes (%v), which hold retention dates and legal holds: use ext4, xfs or btrfs", err)
	}
	name := filepath.Join(dir, fmt.Sprintf("probe-%d", os.Getpid()))
	os.Remove(name)
	if err := linkUnnamed(f, name); err != nil {
		return fmt.Errorf("cannot name an unnamed file (%v): the store needs /proc or CAP_DAC_READ_SEARCH", err)
	}
	return os.Remove(name)
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

// syncFS flushes the file system that holds the open file f (syncfs(2)).
func syncFS(f *os.File) error {
	return os.NewSyscallError("syncfs", unix.Syncfs(int(f.Fd())))
}
