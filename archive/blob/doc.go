// Package blob defines the storage backend interface of the archive: create-once
// objects under flat keys, streaming reads, ordered listing, and deletion guarded by
// retention dates and legal holds. It knows nothing of records or projects.
//
// Backends live in their own packages (blob/fs, the embedded default; blob/s3, any
// S3 server with object lock) and all pass the conformance suite in blob/blobtest.
// Their contracts are in the doc comments of the role interfaces (Putter, Getter,
// Lister, Deleter, Locker); optional capabilities such as Describer are found by
// type assertion.
package blob
