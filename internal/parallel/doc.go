// Package parallel runs independent calls on a bounded number of goroutines: the
// reads of many small objects, which on S3 are a round trip each, and the checks of
// many blobs. It is errgroup with a limit, in the one shape the archive needs.
package parallel
