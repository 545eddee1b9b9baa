// Package archive is Gongshi's domain core and record store.
//
// It defines what is filed: projects (one expropriation each) and records (one filed
// document each, with the metadata of DA/T 46 and the archival code of DA/T 22), the
// document-type catalogue of Decree 590's procedure with each type's disclosure class
// and retention period, and the validator that checks a record against it, reporting
// every problem at once.
//
// It stores them in a blob.Store under the layout of docs/architecture.md, and never
// overwrites anything:
//
//	blobs/sha256/<aa>/<hex>            content, content-addressed, deduplicated
//	projects/<code>/<000001>.json      project versions, created once
//	records/<id>/<000001>.json         record versions, created once
//	by-content/<aa>/<sha256>.<id>      which records hold a content (derived)
//	by-code/<fonds>/…/<item>           which record carries an archival code (derived; codes.go)
//
// A correction is a new version that names the version it supersedes and why; the
// store's create-once Put decides races between concurrent writers. Versions are
// written in one canonical JSON form (see EncodeRecord), so that equal values have
// equal bytes everywhere. Record ids are derived from the filing itself (see
// RecordID), so that re-running an interrupted ingest finds what the first run made.
//
// Every content object is digested with SHA-256 and SM3 (GB/T 32905) in one read
// (Digester); the SHA-256 is the object's address, both are the record's fixity.
package archive
