//go:build !linux

package safefile

import (
	"errors"
	"os"
	"syscall"
)

const readFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

var errSyncUnsupported = errors.New("directory sync unsupported")

func renameNoReplace(oldpath, newpath string) error { return linkNoReplace(oldpath, newpath) }
