// Package fs is the embedded default blob.Store: objects in a local directory.
//
// Create-once is a rename of a fully written and fsynced temporary file with
// renameat2(RENAME_NOREPLACE), so an object appears whole or not at all and two
// processes racing on one key cannot both win. Retention dates and legal holds are
// stored in extended attributes of each object file and enforced by Delete against an injected clock; they
// survive restarts. Nothing below the store stops a user with shell access from
// removing files: for WORM storage that resists the operator, use blob/s3 with an
// S3 server in compliance mode.
package fs
