// Package portal is the web face of Gongshi (echo): public pages for residents in
// Chinese first, staff pages for archivists behind authentication and roles, the
// JSON API under /api/v1 with its OpenAPI document, Atom feeds, the verification
// page, the static ledger tiles, metrics and health. It reaches records only
// through packages archive and search, and serves only what a record's disclosure
// class allows. Not written yet; see the issues.
package portal
