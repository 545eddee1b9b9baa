// Package testenv finds the external services that tests use, from the
// environment that scripts/test sets up. A test that needs a service it cannot
// find is skipped, except in CI (CI=true), where a missing service fails the test:
// CI must never pass by skipping.
package testenv
