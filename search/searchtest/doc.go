// Package searchtest has what the tests of search and of its users (the
// portal) share: a Gate that holds an index's rebuild back, so that a test sees
// the index while it rebuilds. It imports nothing of search, so that search's
// own (internal) tests can use it without an import cycle.
package searchtest
