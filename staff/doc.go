// Package staff keeps the archive's staff: accounts with their roles and
// credentials, login sessions, API tokens, the login limiter, and the staff
// audit trail. The portal's staff pages and API authenticate through it; the
// gongshi command makes the first administrator with it.
//
// Everything it stores is a chain of create-once, ledgered versions
// (archive.Versions): accounts under accounts/ (subject "account"), sessions
// under sessions/ ("session": version 1 at the login, version 2 at the logout),
// trail entries under trail/ ("trail"). So every server that shares the store
// sees every account and session at once, and every staff action — filing,
// correcting, publishing (the archive's own versions, with the account as their
// actor), a login, an account's change, an audit run — is a ledger entry, as
// tamper-evident as the documents. What the public ledger shows is only the
// subject's kind and opaque id, the actor's opaque account id and digests: the
// login, the name, the credential hashes and the client's address stay in the
// store.
//
// Credentials: passwords as Argon2id PHC strings (password.go: parameters,
// bounded concurrency, constant-time comparison); session cookies and API
// tokens as 256-bit random secrets of which only SHA-256 digests are stored
// (secret.go). Who may change which account is one pure rule (policy.go).
//
// Logins are claimed create-once under logins/<SHA-256 of the login>: two
// accounts made at once with one login cannot both exist. The claim holds the
// account's version 1, so a creation cut short between claim and version is
// completed by whoever next finds the claim.
package staff
