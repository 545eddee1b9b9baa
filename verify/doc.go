// Package verify is the inspector's verdict (核验): is this file exactly a
// document that the archive filed, and has the ledger only grown since a
// checkpoint was saved? The CLI (gongshi verify) prints its results and the
// portal shows them; both get the same typed Result, whose reasons are codes
// with parameters (proof.Reason) that read in Chinese and English.
//
// Three ways to ask:
//
//	Verifier.File        against the archive: finds the record versions whose
//	                     content the file is, and checks each one's ledger entry
//	                     (inclusion under a checkpoint signed by the key, the
//	                     file's digests and the record version's JSON against
//	                     the entry), as a receipt the archive makes on the spot
//	Offline              against a receipt alone, with the verifier key: no
//	                     archive, no network (package proof does the checking)
//	Verifier.Consistency against a checkpoint saved earlier: the ledger today
//	                     must extend it
//
// # Derived objects never decide a verdict
//
// Finding the records of a content uses the by-content markers and finding
// their ledger entries the ledger's by-record keys: derived objects, which the
// audit checks and repairs but which anybody with write access to the store can
// delete or forge. So they are only ever a way to look, never evidence:
//
//   - a marker that names a record whose versions have other content is
//     ignored (and reported as forged);
//   - a by-record key is trusted only as far as the entry it points to: an
//     entry of another record version, or a key that does not parse, is
//     ignored (and reported as forged);
//   - when the markers and keys do not lead to a verified record version but
//     the content object blobs/sha256/… exists (an authoritative object, and a
//     cheap lookup), the ledger itself is searched (ledger.Log.FindContent):
//     every entry that names the content, with its record version from the
//     store. A "not verified" for content that is in the archive is given only
//     after that search.
//
// The search reads the whole ledger, so its cost is bounded: it runs only for
// content the archive holds (an anonymous caller cannot make it run with
// content that is not there), one at a time, at most as often as the
// Verifier's rate allows, and its answer is kept for a while per content. When
// the rate does not allow it, File returns ErrBusy: nothing was decided (the
// portal answers "try again later"); a missing derived object is never a
// reason for "no". Verification writes nothing: the Result lists the derived
// objects found missing or forged, and gongshi audit --repair rebuilds them.
//
// # Servers: what a visitor may see, and what a question costs
//
// A server asks with Verifier.Verify and a Request whose Admit says which
// records the visitor may see the content of; the others are treated as
// absent, so that a file whose record is hidden answers exactly as a file
// nobody filed. That needs Options.Contents, an index of the ledger by
// content (ledger.ContentIndex): the search of the ledger is then a lookup,
// made for every file alike, and its cost tells nothing.
//
// See docs/verify.md.
package verify
