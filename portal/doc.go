// Package portal is the web face of Gongshi (echo): public pages for residents in
// Chinese first with English, the verification page, Atom feeds, the static ledger
// tiles, metrics and health; staff pages, household pages and the JSON API plug into
// the same server (see Server.Routes and docs/portal.md).
//
// The shape of a request:
//
//	security headers → body limit → request log and metrics → viewer → route
//
// One middleware decides the Viewer of a request (public, a household of a project,
// or staff with roles) from the Authenticators the server was given, and puts it in
// the request's context; page code reads it with ViewerFrom and never looks at
// cookies or headers itself. A handler builds a page struct and returns an error;
// one error handler maps errors to statuses and error pages, so that a record the
// viewer may not see answers exactly as a record that does not exist.
//
// Public pages change only when the archive changes (a ledger event reaches the
// index) or when a day passes (the clocks): the server renders each public page once
// per (index position, day), compresses it once and serves it with an ETag until
// then. What a household or staff member sees is rendered per request and never
// cached (see cache.go).
//
// The portal reaches records only through the narrow interfaces it declares
// (Archive, Ledger, Index): no bleve, minio or echo type appears in its exported API.
package portal
