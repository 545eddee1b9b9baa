// Package ledger is Gongshi's transparency log: every authoritative change (the
// filing and correction of a record, every version of a project and of the other
// subject kinds of archive.SubjectKinds, publication, withdrawal, hold, release,
// disposal, fixity failure) is appended as one entry to an RFC 6962 Merkle tree
// whose signed checkpoints anyone can check with the published verifier key. An
// entry names the event, the kind and id of its subject, the version and the
// SHA-256 of its canonical JSON, a record's content digests, the actor, a reason's
// digest and the time (FormatEntry); never metadata or personal data.
//
// The hashing, the tiles and the proofs are golang.org/x/mod/sumdb/tlog; the
// signatures are golang.org/x/mod/sumdb/note (Ed25519). This package adds the
// entry text, the C2SP tlog-checkpoint form, the storage in a blob.Store, and
// receipts.
//
// # Storage layout
//
// Everything is created once; nothing is replaced, so the log fits the archive's
// object-locked store:
//
//	ledger/batch/<start/1000>/<start>          entries start, start+1, …: the commit point
//	ledger/tile/<L>/<N>[.p/<W>]                hash tiles at the C2SP tlog-tiles paths
//	ledger/by-record/<id[:2]>/<id>.<version>.<kind>.<time>   "<index> <batch start>": lookup and
//	                                           the idempotence of Append, for records
//	ledger/by-<subject kind>/<id[:2]>/<id>.<version>.<kind>.<time>   the same for the other
//	                                           subject kinds (by-project, …)
//	ledger/checkpoint/<size/1000>/<size>       the signed checkpoint of each size
//	ledger/damage/<n>                          damage notices of the audit (damage.go)
//
// There is no mutable "latest" pointer: checkpoints are keyed by zero-padded size,
// so the latest is the last one listed. Beside the log, under a prefix of its own:
//
//	lease/ledger/<n/1000>/<n>/<g>[.free]        the append lease at size n (lease.go)
//
// # Appending
//
// Append calls that arrive while a batch is being written wait and go together
// into the next batch (group commit), so that the costs of a batch (its object,
// its tiles, one signature) are shared. Before it commits a batch, a Log takes the
// append lease for the log's size (lease.go): writers in other processes wait for
// it instead of racing. A batch is committed by the create-once put of
// ledger/batch/<start>: of two writers that both see a log of size n, only one can
// create batch n, lease or no lease; the other reloads and tries again. Then come the tiles,
// the lookup keys, and last the checkpoint, which is signed only after it is
// checked to be consistent with the previous signed one. A crash after the batch
// put leaves a batch beyond the latest checkpoint; the next writer finds it and
// completes it before appending anything.
//
// # Checking and damage
//
// Check (check.go) reads every batch, checkpoint, tile and lookup key without
// writing or signing anything, recomputes the tree from the entries, and names
// every object that is missing, altered, extra or forged; Repair rebuilds the
// derived ones (tiles, lookup keys) from the batches. While an authoritative
// object (a batch, a checkpoint) is damaged the log appends nothing (ErrDamaged,
// damage.go): it checks its own end on every load, and obeys the damage notices
// the audit stores. A tile that does not match its signed root is rebuilt from
// the batches on the way (hashReader), so a damaged tile never stops an append.
//
// # Verifying
//
// verify.go holds pure functions (no store, no network): a Receipt (entry text,
// index, inclusion proof, signed checkpoint) verifies offline with the verifier
// key, and CheckConsistency proves that a later checkpoint extends an earlier one.
package ledger
