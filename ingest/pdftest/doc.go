// Package pdftest makes the PDF fixtures that ingest's tests, the CLI's tests and
// the benchmarks need, from nothing: a certificate authority and signers with
// Chinese names (ECDSA, or SM2 as Chinese government CAs issue them, and chains
// that mix the two), plain PDFs of any page count and size, PDFs signed with
// github.com/digitorus/pdfsign (Sign) or with a signature dictionary and CMS
// data written here by gmsm (SignCMS, the only way to sign with SM2), and the
// damaged and dangerous variants that ingest must tell apart. Nothing is read from disk or the network, so every
// fixture is reproducible and no binary file lives in the repository.
package pdftest
