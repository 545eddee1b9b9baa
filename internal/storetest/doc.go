// Package storetest gives tests the archive's storage backends (the filesystem
// store in a temporary directory and, when internal/testenv finds one, the S3 test
// server) together with raw access to the bytes behind each store, so that tests
// can damage what the archive stored the way an intruder or a failing disk would:
// without going through blob.Store, which never overwrites.
package storetest
