// Package bench is the search benchmark: the index beside what a bureau's portal
// does (SQLite LIKE) and the obvious bleve query, over the same synthetic records
// and the same queries, in one run. It is not part of the test suite: its test
// file builds only with the tag searchbench, which keeps SQLite out of every
// other build. Run it with scripts/bench-search (docs/benchmarks.md).
package bench
