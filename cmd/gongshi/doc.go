// Command gongshi is the single binary of Gongshi: filing (ingest), the ledger,
// verify and audit, search, households, retention and export, staff accounts,
// and the portal (gongshi serve) with its demo (gongshi demo). Each command only
// parses flags and prints; the work is in the packages it calls. See README.md
// for the commands and docs/architecture.md for the packages.
package main
