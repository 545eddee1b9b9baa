package safefile

import "os"

// linkNoReplace gives oldpath's file the name newpath unless newpath exists
// (link(2) never replaces), then removes the name oldpath.
func linkNoReplace(oldpath, newpath string) error {
	if err := os.Link(oldpath, newpath); err != nil {
		return err
	}
	return os.Remove(oldpath)
}
