// Package retention decides how long each record is kept and makes the storage
// enforce it: retention schedules (the catalogue's Y, D30 and D10, lengthened per
// deployment and per type, counted from the document's date or the close of its
// project, from the following 1 January as archives count), the object locks that
// follow from them, legal holds on records and projects, and disposal by two
// people with a tombstone and a destruction list (销毁清册) that stay.
//
// The rules are pure (Rules, Schedules, Merge, Compute, HeldKeys): functions of
// the record, its schedules and holds, and the moment, with table tests and an
// injected clock. Locks is the archive's policy (archive.Options.Locks): asked
// before each version is stored, it returns the schedule to keep with a record
// and the lock of its objects. Executor does the rest of the I/O: holds and
// releases, extensions and the close of a project, 'gongshi retention lock' (the
// idempotent command that gives every object the lock it needs and renews
// capped ones), the list of what is due, and disposal.
//
// docs/retention.md describes the model, the storage locks and the commands.
package retention
