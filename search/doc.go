// Package search owns the metadata index of the archive: a bleve index of every
// record's latest version, found by word and by character in Chinese, by document
// number whatever its brackets and by archival code with or without its dot, with
// people's words for the law's (synonyms), filtered by who asks, with facets and
// pages in a stable order.
//
// The index is derived: it is built from the ledger and the records it names
// (Source), stores how far into the ledger it has applied, catches up at open and
// follows new entries (Poll, Follow). It is rebuilt beside the live one and
// swapped in while searches go on (Reindex); a rebuild that stops half-way leaves
// the live one serving; a missing or damaged index is rebuilt at open. One process
// holds it at a time (a serve, or a command): Open says ErrBusy, with who holds it
// and where it serves, so that a command can ask the server instead (Client).
//
// Visibility is part of every query: archive.Visibility decides, when a record is
// indexed, which audiences may see its catalogue entry and which its content; a
// query matches only within the viewer's audiences, so totals, facets, snippets
// and pages never count or show the rest. A hit's visibility is decided again from
// the stored record before it is shown, and the records whose visibility changes
// at a moment (a publicity window) are indexed again when it comes.
//
// A query's text is never syntax. Queries are evaluated on the postings bitmaps of
// bleve's segments (engine.go): counts and facets are exact at any size, and a
// first page costs about the same for a word in every record as for a rare one.
// No bleve type appears in this package's API.
package search
