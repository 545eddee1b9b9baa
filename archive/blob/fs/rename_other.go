//go:build !linux

package fs

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("the filesystem store needs Linux (renameat2 RENAME_NOREPLACE and flock)")

func renameNoReplace(oldpath, newpath string) error { return errUnsupported }

func probeRename(dir string) error { return errUnsupported }

func flock(f *os.File) error { return errUnsupported }
