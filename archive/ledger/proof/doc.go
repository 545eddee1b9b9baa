// Package proof checks what the ledger proves, with nothing but the proof, the
// published verifier key and (for a receipt) the file: signed checkpoints, the
// inclusion of an entry under a checkpoint (a receipt), and the consistency of
// two checkpoints (the log only grew). It does no I/O.
//
// It is meant to be copied into other programs (an inspector's own tool, a
// court's), and to verify receipts issued today for decades, so it is small and
// lenient where leniency is safe:
//
//   - It depends on the standard library and golang.org/x/mod/sumdb/note and
//     tlog only: no record store, no catalogue, no validator (check with
//     go list -deps).
//   - An entry is read as its header "gongshi ledger entry v<N>" and lines of
//     "name value": a form it does not know yet still gives the fields it
//     needs (the content digests, the subject's digest). The entry's bytes are
//     authenticated by the inclusion proof whatever their form; parsing only
//     reads them.
//   - The record and project JSON a receipt carries are bound by their SHA-256
//     to ledger entries, and decoded only for display: unknown fields and newer
//     schema versions are shown, never a reason to fail.
//
// Every "no" is a *NotVerifiedError carrying a Reason: a code with parameters,
// with its text in English and Chinese, so that a page can show it in either
// language and no caller parses an error string. Other errors (malformed input)
// mean that nothing was decided.
package proof
