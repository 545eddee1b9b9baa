// Package households keeps what the archive knows of the households of a
// project and what residents may see of it: the household register, the
// per-household tables of survey results, preliminary appraisals and
// compensation, the query codes a household logs in with, and each household's
// re-check and expert-appraisal clock (docs/households.md).
//
// Everything it stores is a chain of create-once, ledgered versions
// (archive.Versions), so a correction is a new version with its reason and
// nothing is overwritten:
//
//	households/<project>/<n>.json            the register: every household's row, the column policy
//	tables/<record id>/<n>.json              a record's table (archive.Table), its CSV as content
//	codes/<project>_<household>/<n>.json     the query code's Argon2id hash, issued or revoked
//	objections/<project>_<household>/<n>.json the clock: each step with its day and filed record
//
// What may leave the staff side is a whitelist: each column of the register and
// of a table is declared public, masked or private, and a column nobody declared
// is private. The masked view of a table is a pure function of the sealed CSV and
// its declared columns (MaskedView), so anyone holding both derives the same bytes,
// whose SHA-256 the table's version records. The objection clock is a pure
// function of the recorded steps, the calendar and the day (Clock).
//
// The package decides nothing about who sees what: that is archive.Visibility.
// It imports archive, calendar and ingest (for the strict reading of CSV and JSON
// as Excel writes them), never the portal.
package households
