// Package holder names the process that holds a lease or a turn (the ledger's
// append lease, a filing's turn to be numbered), so that another process waiting
// for it on the same machine can tell at once that the holder is gone, instead of
// waiting for the lease to expire: a batch killed and run again does not stall.
//
// A holder is a random name, the machine's host name, where its pids are counted
// (on Linux the kernel's boot id and the pid namespace, so two containers that
// happen to share a host name are not taken for one machine) and the process id:
// nothing personal. Whether a holder is gone is known only for a process of this
// machine and pid namespace (its pid no longer exists); of any other holder
// nothing is known, and the lease's expiry decides. A pid reused by another
// process makes a dead holder look alive: the waiter then waits for the expiry,
// which is safe.
package holder
