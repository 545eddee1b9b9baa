// Package requests keeps disclosure on request (依申请公开, 政府信息公开条例
// Art. 27-45): anyone asks for information through the portal's form and gets a
// ticket with its due date; staff ask once for a correction, extend once, and
// answer — grant, grant in part, or refuse with one of the law's reasons; what is
// granted reaches the requester through a link for that ticket alone; and the
// annual report's figures (Art. 49-50) are computed from the tickets
// (docs/households.md, "Disclosure on request").
//
// A ticket is a chain of create-once, ledgered versions under requests/<id>/
// (archive.Versions): version 1 the request as received, each later one a step
// of its handling. The requester's name and contact stay in the store and on
// the staff pages; no page a link or the public reaches shows them, and the
// ledger entry names only the ticket's id. A grant is also a version of the
// record's grants (archive.Grant), which is what archive.Visibility reads.
//
// The answer's clock is package calendar's request_answer rule: 20 working days
// from the day of receipt, once extended by 20 with a notice, restarted by a
// correction (Art. 30: the period counts from the day the corrected request is
// received).
package requests
