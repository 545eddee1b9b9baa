package ingest

import (
	"errors"
	"os"
	"time"
)

// ErrFileChanged: the file was changed or replaced between its inspection and its
// filing, or during either. The document is rejected: its verdicts might be
// another file's.
var ErrFileChanged = errors.New("the file changed while it was being filed")

// fileID is what fstat says of an open file: which file it is (device and inode,
// through os.SameFile) and when it last changed. Two fileIDs that are the same
// are the same file with, as far as the file system can tell, the same bytes.
type fileID struct {
	fi    os.FileInfo
	size  int64
	mtime time.Time
	ctime time.Time // the inode's change time, where the platform has one
}

func fileIdentity(fi os.FileInfo) fileID {
	return fileID{fi: fi, size: fi.Size(), mtime: fi.ModTime(), ctime: changeTime(fi)}
}

func (a fileID) same(b fileID) bool {
	return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi) &&
		a.size == b.size && a.mtime.Equal(b.mtime) && a.ctime.Equal(b.ctime)
}

// checkSame reports ErrFileChanged unless the open file f is still the file that
// id describes, unchanged.
func checkSame(f *os.File, id fileID) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fileIdentity(fi).same(id) {
		return ErrFileChanged
	}
	return nil
}
