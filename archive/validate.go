package archive

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Field length limits, in characters. They are generous; their job is to catch a
// whole document pasted into a title, not to police style.
const (
	maxTitle     = 500
	maxName      = 200
	maxReason    = 1000
	maxContact   = 200
	maxHotline   = 40
	maxHousehold = 64
	maxAbstract  = 2000
	maxKeywords  = 20
	maxKeyword   = 40
	maxFileName  = 255 // bytes, the common file-system limit
	maxPages     = 100000

	projectDatesAhead = 10 * 366 // days
)

// founding is the earliest plausible date of a document under this law: 1949-10-01.
// Older papers may appear as evidence, but they are filed as attachments of a newer
// record, not under their own date.
func founding() Date { return D(1949, time.October, 1) }

// ValidateProjectCode checks a project code: 2 to 32 characters of upper-case ASCII
// letters, digits and '-', starting and ending with a letter or digit, with no "--".
// Codes become key segments and parts of URLs, so they are strict; upper case keeps
// them distinct from record ids, which are lower case.
func ValidateProjectCode(code string) error {
	var ps problems
	checkProjectCode(&ps, "code", code)
	return ps.err(fmt.Sprintf("project code %q", code))
}

func checkProjectCode(ps *problems, field, code string) {
	const rule = "must be 2 to 32 characters of A-Z, 0-9 and '-', starting and ending with a letter or digit, e.g. CQ-2024-01"
	switch {
	case code == "":
		ps.missing(field, "required")
		return
	case len(code) < 2 || len(code) > 32:
		ps.add(field, fmt.Sprintf("%q %s", code, rule))
		return
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		alnum := c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && !(c == '-' && i > 0 && i < len(code)-1 && code[i-1] != '-') {
			ps.add(field, fmt.Sprintf("%q %s", code, rule))
			return
		}
	}
}

// ValidateProject checks a project's fields; now is the current time, for date
// plausibility. It returns nil or a *ValidationError listing every problem.
func ValidateProject(p Project, now time.Time) error {
	var ps problems
	checkProjectCode(&ps, "code", p.Code)
	checkText(&ps, "name", p.Name, maxName, true)
	checkText(&ps, "city", p.City, maxName, true)
	checkText(&ps, "district", p.District, maxName, false)
	// Code, name and city are the minimum a project needs to be filed against; the
	// department may be added by a correction.
	checkText(&ps, "department", p.Department, maxName, false)
	checkText(&ps, "implementer", p.Implementer, maxName, false)
	checkText(&ps, "contact", p.Contact, maxContact, false)
	checkText(&ps, "hotline", p.Hotline, maxHotline, false)
	if p.Hotline != "" && !phoneLike(p.Hotline) {
		ps.add("hotline", fmt.Sprintf("%q is not a telephone number (digits, spaces, '-', '+', brackets)", p.Hotline))
	}
	if p.Category != "" && !p.Category.Valid() {
		ps.add("category", fmt.Sprintf("unknown category %q (want one of %v)", p.Category, Categories()))
	}
	for _, name := range slices.Sorted(maps.Keys(p.Dates)) { // sorted: a stable problem list
		field := "dates." + name
		if !snakeName(name, 32) {
			ps.add(field, fmt.Sprintf("date name %q must be 1 to 32 characters of a-z, 0-9 and '_', starting with a letter", name))
		}
		// A project's dates include planned ones (the end of the signing period, the
		// relocation deadline), so they may lie ahead, but not beyond ten years.
		checkDate(&ps, field, p.Dates[name], now, projectDatesAhead)
	}
	if p.Households < 0 {
		ps.add("households", fmt.Sprintf("%d is negative", p.Households))
	}
	checkSupersedes(&ps, p.Version, p.Supersedes)
	checkActor(&ps, p.Actor)
	return ps.err("project " + p.Code)
}

// snakeName reports whether s is 1 to max bytes of a-z, 0-9 and '_', starting
// with a letter.
func snakeName(s string, max int) bool {
	if len(s) < 1 || len(s) > max || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkText checks a free-text field: present when required, valid UTF-8, no control
// characters, no leading or trailing space, at most max characters.
func checkText(ps *problems, field, s string, max int, required bool) {
	if s == "" {
		if required {
			ps.missing(field, "required")
		}
		return
	}
	if !utf8.ValidString(s) {
		ps.add(field, "not valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		ps.add(field, fmt.Sprintf("%d characters, at most %d allowed", n, max))
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		ps.add(field, "contains a control character (tab, newline, …)")
	}
	if strings.TrimSpace(s) != s {
		ps.add(field, "has leading or trailing space")
	}
}

// checkDate checks that d is a real day between 1949-10-01 and aheadDays after today in
// China. For a document's date aheadDays is 1: a day of slack absorbs clocks and time
// zones, and a later date is a typing error.
func checkDate(ps *problems, field string, d Date, now time.Time, aheadDays int) {
	if d.IsZero() {
		return
	}
	if !d.Valid() {
		ps.add(field, fmt.Sprintf("%d-%d-%d is not a day of the calendar", d.Year, int(d.Month), d.Day))
		return
	}
	if d.Before(founding()) {
		ps.add(field, fmt.Sprintf("%s is before %s", d, founding()))
	}
	if latest := DateOf(now).AddDays(aheadDays); latest.Before(d) {
		if aheadDays <= 1 {
			ps.add(field, fmt.Sprintf("%s is in the future (today is %s)", d, DateOf(now)))
		} else {
			ps.add(field, fmt.Sprintf("%s is more than %d days ahead (today is %s)", d, aheadDays, DateOf(now)))
		}
	}
}

// checkActor: an actor, when given, is a fixed token or an account.
func checkActor(ps *problems, a Actor) {
	if a != "" && !a.Valid() {
		ps.add("actor", fmt.Sprintf("%q is not an actor: want %q, %q, %q or account:<id>", a, ActorCLI, ActorSystem, ActorBackfill))
	}
}

func checkSupersedes(ps *problems, version int, s *Supersedes) {
	if s != nil && version == 1 {
		ps.add("supersedes", "version 1 supersedes nothing")
		return
	}
	if s == nil {
		if version > 1 {
			ps.add("supersedes", fmt.Sprintf("version %d must say which version it supersedes and why", version))
		}
		return
	}
	if version != 0 && s.Version != version-1 {
		ps.add("supersedes", fmt.Sprintf("version %d must supersede version %d, not %d", version, version-1, s.Version))
	} else if s.Version < 1 {
		ps.add("supersedes", fmt.Sprintf("superseded version %d must be at least 1", s.Version))
	}
	if strings.TrimSpace(s.Reason) == "" {
		ps.add("supersedes.reason", "a correction must give its reason")
	} else {
		checkText(ps, "supersedes.reason", s.Reason, maxReason, true)
	}
}

// ApplyDefaults returns r with the disclosure class and retention period of its type
// filled in where r leaves them empty.
func (c *Catalogue) ApplyDefaults(r Record) Record {
	if r.PublicCopyOf != "" && r.Disclosure == "" {
		r.Disclosure = Public // a public copy exists to be published
	}
	if t, ok := c.Type(r.Type); ok {
		if r.Disclosure == "" {
			r.Disclosure = t.Disclosure
		}
		if r.Retention == "" {
			r.Retention = t.Retention
		}
	}
	return r
}

// ValidateRecord checks a record against the catalogue and returns nil or a
// *ValidationError listing every problem found: fields every record needs and those
// its type adds, the enumerations, dates between 1949-10-01 and tomorrow (by now),
// the forms of 文号 and 档号 and their agreement with the record's date and retention
// period, and a disclosure class no more open than the type's. An empty disclosure
// class or retention period stands for the type's default (see ApplyDefaults). The id,
// version and filing time are the archive's to set and are checked only for form.
func (c *Catalogue) ValidateRecord(r Record, now time.Time) error {
	var ps problems
	if r.ID != "" && !ValidRecordID(r.ID) {
		ps.add("id", fmt.Sprintf("%q is not a record id (26 characters of a-z and 2-7)", r.ID))
	}
	if r.Version < 0 {
		ps.add("version", fmt.Sprintf("%d is negative", r.Version))
	}
	checkProjectCode(&ps, "project", r.Project)

	t, typeOK := c.Type(r.Type)
	switch {
	case r.Type == "":
		ps.missing("type", "required")
	case !typeOK:
		ps.add("type", fmt.Sprintf("unknown document type %q (see the catalogue)", r.Type))
	}
	mandatory := map[string]bool{}
	for _, m := range t.Mandatory {
		mandatory[m] = true
	}

	checkText(&ps, "title", r.Title, maxTitle, true)
	if r.Date.IsZero() {
		ps.missing("date", "required")
	}
	checkDate(&ps, "date", r.Date, now, 1)
	dateOK := !r.Date.IsZero() && r.Date.Valid()

	disclosure := r.Disclosure
	if disclosure == "" {
		disclosure = t.Disclosure
	}
	switch {
	case r.Disclosure != "" && !r.Disclosure.Valid():
		ps.add("disclosure", fmt.Sprintf("unknown class %q (want one of %v)", r.Disclosure, Disclosures()))
	case r.PublicCopyOf != "" && disclosure != Public:
		ps.add("disclosure", fmt.Sprintf("%s: a public copy (public_copy_of) is of class public", disclosure))
	case typeOK && disclosure.MoreOpenThan(t.Disclosure) && r.PublicCopyOf == "":
		// A public copy is the redacted form of its original, made to be
		// published: the type's class binds the original, not the copy.
		ps.add("disclosure", fmt.Sprintf("%s is more open than %s, the class of type %s; a record may only be more closed than its type", disclosure, t.Disclosure, t.Code))
	}
	retention := r.Retention
	if retention == "" {
		retention = t.Retention
	}
	if r.Retention != "" && !r.Retention.Valid() {
		ps.add("retention", fmt.Sprintf("unknown retention code %q (want Y, D30 or D10)", r.Retention))
	}

	if r.DocNumber == "" {
		if mandatory["doc_number"] {
			ps.missing("doc_number", "required for type "+r.Type)
		}
	} else if year, msg := checkDocNumber(r.DocNumber); msg != "" {
		ps.add("doc_number", msg)
	} else if year != 0 && dateOK && year != r.Date.Year {
		ps.add("doc_number", fmt.Sprintf("year %d differs from the year of the document's date %s", year, r.Date))
	}

	checkText(&ps, "issuer", r.Issuer, maxName, mandatory["issuer"])
	checkText(&ps, "abstract", r.Abstract, maxAbstract, false)
	checkKeywords(&ps, r.Keywords)

	if r.ArchivalCode == "" {
		if mandatory["archival_code"] {
			ps.missing("archival_code", "required for type "+r.Type)
		}
	} else {
		checkArchivalCode(&ps, r.ArchivalCode, r.Date, dateOK, retention)
	}

	switch {
	case r.Pages < 0 || r.Pages > maxPages:
		ps.add("pages", fmt.Sprintf("%d is not a plausible page count (0 to %d)", r.Pages, maxPages))
	case r.Pages == 0 && mandatory["pages"]:
		ps.missing("pages", "required for type "+r.Type)
	}

	if r.Format == "" {
		ps.missing("format", "required")
	} else if !slices.Contains(c.file.Formats, r.Format) {
		ps.add("format", fmt.Sprintf("%q is not an allowed filing format (allowed: %v)", r.Format, c.file.Formats))
	}
	checkFileName(&ps, r.FileName)

	checkText(&ps, "household", r.Household, maxHousehold, mandatory["household"])
	if r.PublicCopyOf != "" && !ValidRecordID(r.PublicCopyOf) {
		ps.add("public_copy_of", fmt.Sprintf("%q is not a record id (26 characters of a-z and 2-7)", r.PublicCopyOf))
	}
	if r.Household == "" && !mandatory["household"] && disclosure == Household {
		ps.missing("household", "required when the disclosure class is household: it names who may see the record")
	}

	switch {
	case r.Content.IsZero():
		ps.missing("content", "required: the digests of the stored content")
	case r.Content.SHA256.IsZero() || r.Content.SM3.IsZero():
		ps.missing("content", "both SHA-256 and SM3 digests are required")
	case r.Content.Size <= 0:
		ps.add("content.size", fmt.Sprintf("%d: content must not be empty", r.Content.Size))
	}
	if _, err := canonicalRaw(r.Signatures); err != nil {
		ps.add("signatures", "not valid JSON: "+err.Error())
	}
	checkSupersedes(&ps, r.Version, r.Supersedes)
	checkActor(&ps, r.Actor)
	what := "record"
	if r.ID != "" {
		what += " " + r.ID
	}
	return ps.err(what)
}

// checkKeywords: at most maxKeywords keywords, each a non-empty text without
// separators (a keyword holding a comma or a semicolon is two keywords typed as one),
// none repeated.
func checkKeywords(ps *problems, kws []string) {
	if len(kws) > maxKeywords {
		ps.add("keywords", fmt.Sprintf("%d keywords, at most %d allowed", len(kws), maxKeywords))
	}
	seen := map[string]bool{}
	for i, k := range kws {
		field := fmt.Sprintf("keywords[%d]", i)
		checkText(ps, field, k, maxKeyword, true)
		if strings.ContainsAny(k, ",;，；、") {
			ps.add(field, fmt.Sprintf("%q holds a separator: give each keyword on its own", k))
		}
		if seen[k] {
			ps.add(field, fmt.Sprintf("%q repeated", k))
		}
		seen[k] = true
	}
}

func checkFileName(ps *problems, name string) {
	switch {
	case name == "":
		ps.missing("file_name", "required")
	case !utf8.ValidString(name):
		ps.add("file_name", "not valid UTF-8")
	case len(name) > maxFileName:
		ps.add("file_name", fmt.Sprintf("%d bytes, at most %d allowed", len(name), maxFileName))
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`):
		ps.add("file_name", fmt.Sprintf("%q must be a bare file name, without a directory", name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		ps.add("file_name", "contains a control character")
	}
}

// Document numbers (文号). Three forms are accepted:
//
//   - the form of GB/T 9704-2012 §7.2.4: issuer abbreviation, year in brackets, serial
//     number, 号: 长征补〔2024〕12号. The standard brackets are 〔〕 (U+3014/U+3015);
//     [] ［］ () （） 【】 are accepted as they are what keyboards commonly give.
//     No 第 and no leading zeros (the standard forbids both: "不加'第'字，不编虚位");
//   - a decree: 国务院令第590号 (no year);
//   - a court case number: （2024）吉0104行审12号.
var (
	docNumberRe = regexp.MustCompile(`^([\p{Han}A-Za-z]{1,20})([〔\[［(（【])([0-9]{4})([〕\]］)）】])(第?)([0-9]{1,6})号$`)
	decreeRe    = regexp.MustCompile(`^\p{Han}{1,30}令第([1-9][0-9]{0,5})号$`)
	courtCaseRe = regexp.MustCompile(`^[(（]([0-9]{4})[)）]\p{Han}{1,3}[0-9]{0,6}\p{Han}{1,6}([1-9][0-9]{0,6})号$`)
)

// checkDocNumber returns the year a 文号 names (0 for a decree) or a message saying
// what is wrong with it.
func checkDocNumber(s string) (year int, msg string) {
	const want = "want the form 长征补〔2024〕12号 (issuer abbreviation, year in 〔〕, number, 号), a decree like 国务院令第590号, or a court case number like （2024）吉0104行审12号"
	if decreeRe.MatchString(s) {
		return 0, ""
	}
	if m := courtCaseRe.FindStringSubmatch(s); m != nil {
		year, _ = strconv.Atoi(m[1])
		return year, ""
	}
	m := docNumberRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Sprintf("%q: %s", s, want)
	}
	year, _ = strconv.Atoi(m[3])
	if pairOf(m[2]) != m[4] {
		return year, fmt.Sprintf("%q: brackets %s…%s do not pair; write 〔%s〕", s, m[2], m[4], m[3])
	}
	if m[5] != "" {
		return year, fmt.Sprintf("%q: no 第 before the number (GB/T 9704-2012 §7.2.4)", s)
	}
	if m[6][0] == '0' {
		return year, fmt.Sprintf("%q: the number has no leading zeros (GB/T 9704-2012 §7.2.4: 1 not 01)", s)
	}
	return year, ""
}

func pairOf(open string) string {
	switch open {
	case "〔":
		return "〕"
	case "[":
		return "]"
	case "［":
		return "］"
	case "(":
		return ")"
	case "（":
		return "）"
	case "【":
		return "】"
	}
	return ""
}

// NormalizeDocNumber rewrites the brackets of a 文号 in the standard form to 〔〕 and
// full-width digits to ASCII, so that one document number has one spelling. Other
// strings are returned with only the digits folded.
func NormalizeDocNumber(s string) string {
	s = foldWidth(s, false)
	m := docNumberRe.FindStringSubmatch(s)
	if m == nil || pairOf(m[2]) != m[4] {
		return s
	}
	return m[1] + "〔" + m[3] + "〕" + m[5] + m[6] + "号"
}

// Archival codes (档号, DA/T 22-2015): 全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号,
// e.g. Z109-ZS·2024-Y-CQ01-0007. The 机构(问题)代码 is optional (DA/T 22 lets a fonds
// that does not classify by department leave it out); 件号 is four digits. Only the
// middle dot U+00B7 separates the category from the year: a 档号 is an identifier that
// must compare equal to itself, so look-alikes (・ • ‧ ⋅ .) and full-width characters
// are refused with the corrected spelling in the message (NormalizeArchivalCode makes
// it).
var archivalCodeRe = regexp.MustCompile(`^([A-Z0-9]{1,12})-([A-Z][A-Z0-9]{0,3})·([0-9]{4})-(Y|D30|D10)(?:-([A-Z0-9]{1,10}))?-([0-9]{4})$`)

// ArchivalCode is a parsed 档号.
type ArchivalCode struct {
	Fonds      string        // 全宗号
	Category   string        // 门类代码
	Year       int           // 年度
	Retention  RetentionCode // 保管期限代码
	Department string        // 机构（问题）代码, may be empty
	Item       int           // 件号
}

// String formats the code in its canonical spelling.
func (a ArchivalCode) String() string {
	s := fmt.Sprintf("%s-%s·%04d-%s", a.Fonds, a.Category, a.Year, a.Retention)
	if a.Department != "" {
		s += "-" + a.Department
	}
	return s + fmt.Sprintf("-%04d", a.Item)
}

// ArchivalCodeError is a 档号 that ParseArchivalCode cannot read.
type ArchivalCodeError struct {
	Code string // as given
	// Canonical is how the code is written when its only fault is look-alike
	// characters (NormalizeArchivalCode's result); "" when it is no 档号 at all.
	Canonical string
}

func (e *ArchivalCodeError) Error() string { return "档号 " + e.Reason() }

// Reason says what is wrong without the word 档号: the message of the
// archival_code field's problem, whose label names it already.
func (e *ArchivalCodeError) Reason() string {
	if e.Canonical != "" {
		return fmt.Sprintf("%q: write it as %q (the middle dot is U+00B7 '·'; ASCII letters, digits and '-' only)", e.Code, e.Canonical)
	}
	return fmt.Sprintf("%q: want 全宗号-门类代码·年度-保管期限-机构代码-件号, e.g. Z109-ZS·2024-Y-CQ01-0007", e.Code)
}

// ParseArchivalCode parses a 档号 in its canonical spelling. Its error is an
// *ArchivalCodeError.
func ParseArchivalCode(s string) (ArchivalCode, error) {
	m := archivalCodeRe.FindStringSubmatch(s)
	if m == nil {
		e := &ArchivalCodeError{Code: s}
		if n := NormalizeArchivalCode(s); n != s && archivalCodeRe.MatchString(n) {
			e.Canonical = n
		}
		return ArchivalCode{}, e
	}
	year, _ := strconv.Atoi(m[3])
	item, _ := strconv.Atoi(m[6])
	return ArchivalCode{Fonds: m[1], Category: m[2], Year: year, Retention: RetentionCode(m[4]), Department: m[5], Item: item}, nil
}

func checkArchivalCode(ps *problems, s string, date Date, dateOK bool, retention RetentionCode) {
	a, err := ParseArchivalCode(s)
	var bad *ArchivalCodeError
	if errors.As(err, &bad) {
		ps.add("archival_code", bad.Reason())
		return
	}
	if a.Item == 0 {
		ps.add("archival_code", fmt.Sprintf("%q: item numbers start at 0001", s))
	}
	// DA/T 22's 年度 is the year the document was formed, which is the year of its date.
	if dateOK && a.Year != date.Year {
		ps.add("archival_code", fmt.Sprintf("%q: year %d differs from the year of the document's date %s", s, a.Year, date))
	}
	if retention.Valid() && a.Retention != retention {
		ps.add("archival_code", fmt.Sprintf("%q: retention %s differs from the record's retention %s", s, a.Retention, retention))
	}
}

// NormalizeArchivalCode rewrites the common look-alikes in a typed 档号 to its canonical
// characters: full-width letters and digits to ASCII, letters to upper case, dashes to
// '-', and dots between category and year to '·' (U+00B7). It does not check the result.
func NormalizeArchivalCode(s string) string {
	s = foldWidth(s, true)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '・', '•', '･', '‧', '⋅', '.', '∙', '●':
			r = '·'
		case '‐', '‑', '‒', '–', '—', '−':
			r = '-'
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// foldWidth maps full-width ASCII (U+FF01 to U+FF5E) to ASCII: all of it when all is
// true, else only the digits.
func foldWidth(s string, all bool) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			a := r - 0xFF01 + '!'
			if all || a >= '0' && a <= '9' {
				return a
			}
		}
		return r
	}, s)
}

// phoneLike reports whether s looks like a telephone number: digits with the
// usual separators (0431-88886666, 12345, +86 431 8888 6666, (0431)88886666).
func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" -+()（）转", r):
		default:
			return false
		}
	}
	return digits >= 3
}
