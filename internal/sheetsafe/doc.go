// Package sheetsafe keeps the CSV files Gongshi writes for people (the
// retention list for the appraisal meeting, the destruction list, the household
// codes to hand out) from running as formulas when a spreadsheet opens them.
// Excel, LibreOffice Calc and others take a cell that begins with =, +, -, @, a
// tab or a carriage return for a formula, so a title such as
// =HYPERLINK("http://…","点击") filed as metadata would become a live link, or
// worse, on the archivist's machine (CSV or formula injection). As OWASP advises,
// such a cell gets a leading single quote, which spreadsheets read as "this is
// text" and show without it; encoding/csv then quotes whatever the cell
// contains. Every CSV written for people to open goes through Cell or Writer.
//
// Not for CSV whose bytes are evidence (a household table as attached, its
// masked view whose SHA-256 the table's version records): changing a byte
// there would break the digest.
package sheetsafe
