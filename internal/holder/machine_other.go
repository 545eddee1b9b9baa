//go:build !linux

package holder

// localMachine is unknown here: the host name alone says where a pid counts.
func localMachine() string { return "" }
