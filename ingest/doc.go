// Package ingest files documents into the archive: one at a time or as a batch
// from a folder and a manifest.
//
// Each document goes through three small stages:
//
//	Inspect  reads the file: SHA-256, SM3 and size in one sequential read, the
//	         real format from the content (not the name), and for a PDF its
//	         structure (pdfcpu), page count, encryption, active content
//	         (JavaScript, launch actions, embedded files) and digital signatures
//	         (each signature's CMS data verified on its own against its own
//	         byte range, pdfcpu's verdict as a second opinion that can only
//	         refuse, and Gongshi's own trust roots, RSA, ECDSA or SM2:
//	         trust.go), all from pdfcpu's one parse of the file.
//	Check    weighs the inspection and the filer's metadata against the catalogue
//	         and a per-type policy, and writes the four-property report
//	         (四性检测, DA/T 70-2018): authenticity, integrity, usability and
//	         security, each check pass, warn or fail with its reason.
//	Commit   stores the content, assigns the next archival code (档号) of the class
//	         when none was given, and creates the record with its signature and
//	         four-property reports. A rejected document stores nothing.
//
// A batch runs the stages on parallel workers, within a memory budget: the
// files being inspected at once are expected to fit in it together (budget.go). It is resumable and idempotent
// because the archive derives a record's id from the filing itself and refuses to
// file it twice: re-running an interrupted batch finds what the first run made
// ("already filed") and carries on. Archival item numbers are claimed by
// create-once objects whose content names the filing that claimed them, and the
// number a filing tries is decided by a create-once binding of the filing
// (numbering.go), so that any number of writers filing one document give it one
// number, a re-run reuses it, and a crash leaves no gap.
package ingest
