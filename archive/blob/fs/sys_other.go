//go:build !linux

package fs

import (
	"errors"
	"os"
	"time"
)

var errUnsupported = errors.New("the filesystem store needs Linux (O_TMPFILE, linkat, user extended attributes, flock)")

var errNoAttr = errors.New("no such attribute")

func openUnnamed(dir string) (*os.File, error)             { return nil, errUnsupported }
func linkUnnamed(f *os.File, path string) error            { return errUnsupported }
func setMtime(f *os.File, t time.Time) error               { return errUnsupported }
func setxattr(f *os.File, name string, value []byte) error { return errUnsupported }
func removexattr(f *os.File, name string) error            { return errUnsupported }
func getxattr(f *os.File, name string) ([]byte, error)     { return nil, errUnsupported }
func probe(dir string) error                               { return errUnsupported }
func flock(f *os.File) error                               { return errUnsupported }
func syncFS(f *os.File) error                              { return errUnsupported }
