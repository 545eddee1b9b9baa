package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNotRegular: the path names a directory, a named pipe, a device or a socket,
// which Gongshi neither reads as a document nor writes over.
var ErrNotRegular = errors.New("not a regular file")

// ErrExists: the file to write exists, and replacing it was not asked for.
var ErrExists = errors.New("the file exists")

// ErrLink: the path to write is a symbolic link, which Gongshi does not write
// through (nor replace): the link could lead anywhere.
var ErrLink = errors.New("the path is a symbolic link")

// Open opens the regular file at path for reading. Anything else is refused
// with an error wrapping ErrNotRegular that says what it is, without blocking
// (a named pipe with no writer) and without reading from it.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, readFlags, 0)
	return checkOpened(f, err, func() (fs.FileInfo, error) { return os.Stat(path) })
}

// OpenIn is Open for the file name inside root: os.Root keeps the path (and any
// symbolic link on it) inside the root's directory.
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, readFlags, 0)
	return checkOpened(f, err, func() (fs.FileInfo, error) { return root.Stat(name) })
}

// ReadFile reads the whole regular file at path, as os.ReadFile does.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ReadOwnFile is ReadFile for a file Gongshi wrote for itself and reads back
// (an audit's saved state): a symbolic link at path is not followed but refused
// with an error wrapping ErrLink, as Write refuses to write through one, so that
// what is read is the file that was written, not one a link points at.
func ReadOwnFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, readFlags|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrLink}
	}
	f, err = checkOpened(f, err, func() (fs.FileInfo, error) { return os.Lstat(path) })
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// checkOpened refuses f unless it is a regular file. When the open itself
// failed because the path is a socket (which cannot be opened: ENXIO), stat says
// so: the open failed, so nothing can have been read.
func checkOpened(f *os.File, err error, stat func() (fs.FileInfo, error)) (*os.File, error) {
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(err, syscall.ENXIO) {
		if fi, serr := stat(); serr == nil && !fi.Mode().IsRegular() {
			pe.Err = fmt.Errorf("%s, %w", Kind(fi.Mode()), ErrNotRegular)
		}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: f.Name(), Err: fmt.Errorf("%s, %w", Kind(fi.Mode()), ErrNotRegular)}
	}
	return f, nil
}

// Kind names the type of a file mode for people.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

// Check returns the error that Write would return for what is at path now, so
// that a command can refuse before doing the work whose result it would fail
// to save. replace is as for Write.
func Check(path string, replace bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return &fs.PathError{Op: "write", Path: path, Err: ErrLink}
	case !fi.Mode().IsRegular():
		return &fs.PathError{Op: "write", Path: path, Err: fmt.Errorf("%s, %w", Kind(fi.Mode()), ErrNotRegular)}
	case !replace:
		return &fs.PathError{Op: "write", Path: path, Err: ErrExists}
	}
	return nil
}

// Write writes the file at path with what fill writes, atomically: into a
// temporary file in path's directory (mode 0600), synced, then renamed to path,
// and the directory synced. Without replace, an existing path is an error
// wrapping ErrExists, decided by the rename itself (a file that appears
// meanwhile is not replaced either); with replace, an existing regular file is
// replaced. A symbolic link at path is never followed nor replaced (ErrLink). On
// any error the temporary file is removed and path is as it was.
//
// google/renameio does the replacing half of this; it has no way to refuse an
// existing file atomically, and does not sync the directory, so it is not used.
func Write(path string, replace bool, fill func(w io.Writer) error) (err error) {
	if err := Check(path, replace); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // created 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 64<<10)
	if err := fill(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// CreateTemp's mode is 0600 less the umask; make it exactly 0600.
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		// Check refused a link or a non-regular file; one put there since is
		// replaced by the rename, not written through.
		err = os.Rename(tmp.Name(), path)
	} else {
		err = renameNoReplace(tmp.Name(), path)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "write", Path: path, Err: ErrExists}
		}
		return err
	}
	return syncDir(dir)
}

// WriteBytes is Write of b.
func WriteBytes(path string, replace bool, b []byte) error {
	return Write(path, replace, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errSyncUnsupported) {
		return err
	}
	return nil
}
