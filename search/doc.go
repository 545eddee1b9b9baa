// Package search owns the metadata index of the archive: the bleve mapping for
// Chinese text (CJK bigrams with unigrams), indexing record versions, queries with
// facets by project, type and date, following the ledger to stay current, and
// rebuilding from the object store behind an index alias (gongshi reindex).
//
// The index is derived: the object store is the source of truth, and losing the
// index loses nothing. Records whose disclosure class is not public never enter
// the public index. Not written yet; see the issues.
package search
