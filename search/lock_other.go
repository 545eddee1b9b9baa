//go:build !unix

package search

import (
	"errors"
	"os"
)

func tryLock(f *os.File) (bool, error) {
	return false, errors.New("search: the index needs advisory file locks (a Unix system)")
}
