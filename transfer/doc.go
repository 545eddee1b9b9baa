// Package transfer writes and checks transfer packages: a project's records
// as a BagIt bag (RFC 8493), for the hand-over (移交) to an archives or another
// system, and the check a receiving side runs on one.
//
// A bag holds the project's versions, every version of every record of the
// project as stored (tombstones too), the content of each record that still has
// it, each record's four-property report of filing (四性检测报告) and its ledger
// receipt, the ledger's signed checkpoint and public key, the payload manifests
// manifest-sha256.txt and manifest-sm3.txt, the tag manifests, bag-info.txt
// with Payload-Oxum and the archival metadata, and transfer-check.json: the
// four-property check at transfer that DA/T 70 asks for at each hand-over, made
// while the bag is written (each content read once from the store, its SHA-256
// and SM3 computed as it is copied, compared with what the record says and with
// the ledger).
//
// Export streams: each file is copied through the digests with a fixed buffer,
// never held in memory, and the bag is written beside its destination and
// renamed into place when whole, so an interrupted export leaves no bag that
// looks complete. Check reads a bag as a stranger would: it trusts nothing of
// what the bag says until the manifests, the Payload-Oxum and (with the
// ledger's key, given from outside the bag) the receipts agree.
//
// docs/transfer.md describes the bag and the commands.
package transfer
