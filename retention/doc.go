// Package retention decides how long each record is kept (the Y, D30 and D10
// periods of DA/T 22 and per-type rules), sets the object locks that enforce it,
// places and releases legal holds, finds what is due, and disposes of records with
// a tombstone that stays in the ledger. It also tracks publication windows: the 20
// working days of proactive disclosure and the comment periods of Decree 590.
// Clocks are injected: every rule here is about time. Not written yet; see the
// issues.
package retention
