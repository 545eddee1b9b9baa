// Package s3 is the blob.Store backend for S3 servers with object lock (MinIO,
// Ceph RGW, AWS S3), built on minio-go.
//
// Objects are created once with If-None-Match: * (a second Put of a key gets
// blob.ErrExists). Their SHA-256 is checked by the server and, for large objects,
// by this package before the multipart upload is completed, so a mismatch never
// becomes visible. Retention and legal holds are S3 object lock settings, enforced
// by the server: Delete removes every version of a key, and the server itself
// refuses while one is locked. The bucket must have object locking on; Open
// creates it that way when it does not exist.
//
// The S3 object name of a key is the key followed by '!' ("blobs/sha256/ab/…!"),
// because MinIO cannot list objects under a name that is itself an object; see
// nameSuffix.
package s3
