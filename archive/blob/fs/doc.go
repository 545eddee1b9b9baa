// Package fs is the embedded default blob.Store: objects in a local directory.
//
// Create-once writes the content into an unnamed file (O_TMPFILE) in the object's
// directory, flushes it, and links it under its name with linkat, which fails when
// the name exists: an object appears whole or not at all, two processes racing on
// one key cannot both win, and a crash leaves nothing behind. Deferred puts share
// their flushes (one syncfs for all that wait), which is what makes filing many
// small documents fast (blob.Syncer). Retention dates and
// legal holds are stored in extended attributes of each object file and enforced
// by Delete against an injected clock; they survive restarts. Nothing below the
// store stops a user with shell access from removing files: for WORM storage that
// resists the operator, use blob/s3 with an S3 server in compliance mode.
package fs
