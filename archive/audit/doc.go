// Package audit checks the fixity of a whole archive. It re-reads every content
// object and recomputes its SHA-256 and SM3, compares them with the records that
// name it, checks that every record version is in the ledger (and unaltered) and
// that every ledger entry's record version exists; it checks the ledger itself
// (ledger.Log.Check: batches, signed checkpoints, tiles, lookup keys), the
// content markers and the archival-number claims. Every object found missing,
// changed, extra or forged is named by its key with what it should be.
//
// # No false events
//
// Filings go on while the audit looks, so what it sees may be half made. Two
// rules keep that from ever becoming a finding:
//
//   - An object younger than the in-flight bound (Options.InFlight, ten minutes
//     by default) that looks unfinished (a record version without its ledger
//     entry, a batch without its checkpoint, content no record names yet) is
//     reported as in flight, not as a failure.
//   - Every failure is looked at a second time after all the checks: the object
//     must still be as the first look saw it (the same bytes, or still absent),
//     and a record version without an entry must still have none among the
//     entries appended meanwhile. What the second look does not confirm is
//     reported as unconfirmed, and is not a failure.
//
// Confirmed failures that concern a record version are appended to the ledger as
// fixity_failure events, all in one batch. Nothing is appended while the ledger
// itself is damaged: the audit then stores a signed damage notice, and the
// ledger refuses appends until a later audit finds it whole again. Derived
// objects (content markers, lookup keys, tiles) are never ledgered: Options.Repair
// rebuilds them from their sources.
//
// A content object that cannot be read, for a reason other than its absence (the
// store unavailable, a connection reset, a timeout), is read again a few times,
// after growing pauses; when it still cannot be read it is reported as a read
// error (Report.ReadErrors): an operational problem, not a finding about the
// archive, so not a ledger event.
//
// Reading the content is the long part. It runs on parallel workers and can be
// resumed after a kill: after each chunk of objects, the key of the last object of
// the chunk and the failures found so far are saved to a local state file, and a
// new run starts after that key. The metadata checks are re-run in full, because
// they read far less.
package audit
