//go:build !linux

package fs

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("the filesystem store needs Linux (renameat2, user extended attributes, flock)")

var errNoAttr = errors.New("no such attribute")

func renameNoReplace(oldpath, newpath string) error        { return errUnsupported }
func setxattr(f *os.File, name string, value []byte) error { return errUnsupported }
func removexattr(f *os.File, name string) error            { return errUnsupported }
func getxattr(f *os.File, name string) ([]byte, error)     { return nil, errUnsupported }
func probe(dir string) error                               { return errUnsupported }
func flock(f *os.File) error                               { return errUnsupported }
