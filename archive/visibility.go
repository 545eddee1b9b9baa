package archive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Visibility: who may see what of a record. It is one pure function of the record,
// its state and the moment (Visibility), whose answer says for each audience what it
// may see; a viewer (Viewer) belongs to some audiences and sees the most any of them
// may. The search index stores the answer's audiences with each record and filters
// every query by the viewer's, the portal, feeds and API ask For(viewer) of one
// record, so that every surface applies the same rules.
//
// The rules (the disclosure classes of the catalogue):
//
//   - archivists and inspectors see everything filed, published or not (inspectors
//     verify everything); the three administrators (system administrator, security
//     officer, auditor) see every record's catalogue entry, to name it in accounts,
//     keys and the audit trail, and content only as the public does;
//   - nobody outside the staff sees a record that is not published, was withdrawn,
//     is outside its publicity window or was disposed of;
//   - public: the published content, to anyone;
//   - area: the published content, to the verified households of the record's
//     project, never to the public (aggregates the portal derives are its business);
//   - on_request: the published catalogue entry, to anyone; the content only to
//     whom a request was granted (RecordState.Grants: the tickets of 依申请公开);
//   - household: the content, to that household of that project alone, as soon as it
//     is filed: it is delivered to the household, never published;
//   - restricted, or an unknown or empty class: staff only;
//   - a granted request (a ticket in RecordState.Grants) sees the content of a
//     public, area or on-request record, published or not, until it is disposed
//     of; a household or restricted record is never granted (ErrNotGrantable);
//   - a record's per-household table (RecordState.Table), while the record is
//     shown to its project and the table's publicity window runs: every row
//     de-identified (TableMasked) to the project's households, the aggregates
//     (TableAggregates) to the public; the original (TableFull) to archivists
//     and inspectors always. A table is never shown beyond its record: a
//     household or on-request record's table is for staff alone.

// Access is how much of a record a viewer may see.
type Access int

const (
	// AccessNone: the viewer may not know the record exists. Everything that
	// answers such a viewer answers as for a record that does not exist.
	AccessNone Access = iota
	// AccessCatalogue: the record's catalogue entry (CatalogueFields): that it
	// exists, its title, number, date, type, issuer, project and archival code.
	AccessCatalogue
	// AccessContent: everything, the abstract, the keywords and the file included.
	AccessContent
)

func (a Access) String() string {
	switch a {
	case AccessNone:
		return "none"
	case AccessCatalogue:
		return "catalogue"
	case AccessContent:
		return "content"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// MarshalText spells the access as String does (none, catalogue, content).
func (a Access) MarshalText() ([]byte, error) {
	if a < AccessNone || a > AccessContent {
		return nil, fmt.Errorf("archive: access %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText parses what MarshalText writes.
func (a *Access) UnmarshalText(b []byte) error {
	for _, x := range []Access{AccessNone, AccessCatalogue, AccessContent} {
		if string(b) == x.String() {
			*a = x
			return nil
		}
	}
	return fmt.Errorf("archive: unknown access %q", b)
}

// CatalogueFields are the record fields (JSON names) that AccessCatalogue shows: what
// a disclosure catalogue (公开目录) lists of a document. Every other field is content.
func CatalogueFields() []string {
	return []string{"id", "version", "project", "type", "title", "doc_number", "issuer", "date",
		"disclosure", "archival_code"}
}

// Role is a staff member's role (三员分立: the three administrators are separate
// roles, and no account may hold two of them).
type Role string

// The staff roles.
const (
	RoleArchivist       Role = "archivist"        // 档案员: files, corrects, publishes
	RoleInspector       Role = "inspector"        // 监督检查人员: verifies and audits everything
	RoleSystemAdmin     Role = "system_admin"     // 系统管理员: accounts and the system
	RoleSecurityOfficer Role = "security_officer" // 安全保密管理员: keys and permissions
	RoleAuditor         Role = "auditor"          // 安全审计员: reads who did what
)

// Roles lists every role.
func Roles() []Role {
	return []Role{RoleArchivist, RoleInspector, RoleSystemAdmin, RoleSecurityOfficer, RoleAuditor}
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// ViewerKind says which kind of person asks.
type ViewerKind int

const (
	// ViewerPublic: anyone, not logged in. The zero Viewer is the public.
	ViewerPublic ViewerKind = iota
	// ViewerHousehold: a household of one project, verified by its query code.
	ViewerHousehold
	// ViewerStaff: a logged-in staff member with a role.
	ViewerStaff
	// ViewerRequester: whoever holds the link of a disclosure request's ticket
	// (依申请公开): the records granted to that ticket.
	ViewerRequester
)

// Viewer is who asks. The zero Viewer is the public.
type Viewer struct {
	Kind ViewerKind
	// Project and Household identify a household viewer: the project code and the
	// household number (户号) within it.
	Project   string
	Household string
	// Role is a staff viewer's role.
	Role Role
	// Ticket is a requester's ticket id.
	Ticket string
}

// PublicViewer is the viewer nobody logged in is.
func PublicViewer() Viewer { return Viewer{} }

// HouseholdViewer is household hh of project as a viewer.
func HouseholdViewer(project, hh string) Viewer {
	return Viewer{Kind: ViewerHousehold, Project: project, Household: hh}
}

// StaffViewer is a staff member with role r as a viewer.
func StaffViewer(r Role) Viewer { return Viewer{Kind: ViewerStaff, Role: r} }

// RequesterViewer is the holder of the link of request ticket id as a viewer.
func RequesterViewer(ticket string) Viewer { return Viewer{Kind: ViewerRequester, Ticket: ticket} }

// Audience is a group of viewers to whom a record's visibility is granted as a
// whole. Its text is stable (the search index stores it).
type Audience string

// AudiencePublic is everyone.
const AudiencePublic Audience = "public"

// AudienceProject is the verified households of project code.
func AudienceProject(code string) Audience { return Audience("project:" + code) }

// AudienceHousehold is household hh of project code.
func AudienceHousehold(code, hh string) Audience {
	return Audience("household:" + code + "/" + hh)
}

// AudienceRole is the staff members with role r.
func AudienceRole(r Role) Audience { return Audience("role:" + string(r)) }

// AudienceTicket is the holder of request ticket id's link.
func AudienceTicket(id string) Audience { return Audience("ticket:" + id) }

// Audiences lists the audiences v belongs to. A viewer that is not well formed (a
// household without project or number, a staff member without a valid role)
// belongs to the public only, so that a half-filled Viewer never sees more.
func (v Viewer) Audiences() []Audience {
	out := []Audience{AudiencePublic}
	switch v.Kind {
	case ViewerHousehold:
		if v.Project != "" && v.Household != "" {
			out = append(out, AudienceProject(v.Project), AudienceHousehold(v.Project, v.Household))
		}
	case ViewerStaff:
		if v.Role.Valid() {
			out = append(out, AudienceRole(v.Role))
		}
	case ViewerRequester:
		if SubjectRequest.ValidID(v.Ticket) {
			out = append(out, AudienceTicket(v.Ticket))
		}
	}
	return out
}

// PublicationStatus is where a record stands in publication.
type PublicationStatus string

// The publication statuses.
const (
	// NotPublished: never published (the zero value).
	NotPublished PublicationStatus = ""
	// Published: published, and not withdrawn since.
	Published PublicationStatus = "published"
	// Withdrawn: the last publication was withdrawn.
	Withdrawn PublicationStatus = "withdrawn"
)

// Window is a publicity period (公示期): while it runs the record is shown to those
// its class allows; before it opens and after it closes, only to staff. A zero Start
// or End leaves that side open.
type Window struct {
	Start, End time.Time
}

// Contains reports whether t is within the window: Start <= t < End.
func (w Window) Contains(t time.Time) bool {
	return (w.Start.IsZero() || !t.Before(w.Start)) && (w.End.IsZero() || t.Before(w.End))
}

// TableState is what visibility reads of a record's per-household table (the
// latest version under tables/<record id>/, see Table).
type TableState struct {
	// Attached: the record has a table.
	Attached bool
	// Window is the table's publicity period (公示期); the zero Window is always
	// open. It bounds the table alone: the record itself is governed by
	// RecordState.Window.
	Window Window
}

// RecordState is what visibility reads about a record beyond its metadata. The
// packages that own each part fill it in (publication here, windows and grants of
// requests with the households' work, disposal with retention); a new part is a new
// field whose zero value changes nothing.
type RecordState struct {
	// Publication is the record's publication status.
	Publication PublicationStatus
	// Window is the record's publicity period; the zero Window is always open.
	Window Window
	// Disposed: the record's content was disposed of at the end of its retention
	// period; its tombstone remains.
	Disposed bool
	// PublishedAt is when the publication in force began (zero when none);
	// FirstPublishedAt when the record was first published (zero: never). Not
	// read by Visibility: for the pages that show them and the clocks.
	PublishedAt      time.Time
	FirstPublishedAt time.Time
	// Table is the record's per-household table, if any.
	Table TableState
	// Grants are the disclosure-request tickets granted the record's content
	// (the latest version under grants/<record id>/), sorted.
	Grants []string
}

// Grant is what one audience may see of a record.
type Grant struct {
	Audience Audience
	Access   Access
}

// TableView is how much of a record's per-household table a viewer may see.
type TableView int

const (
	// TableNone: nothing of the table, not even that there is one.
	TableNone TableView = iota
	// TableAggregates: the figures over all rows (how many households, sums and
	// means of the public numeric columns), never a row.
	TableAggregates
	// TableMasked: every row, de-identified by the table's column policy: public
	// columns as they are, masked ones masked, private ones left out. A household
	// of the project also sees its own row's masked columns unmasked.
	TableMasked
	// TableFull: the sealed original, every column (staff who may read it; each
	// read is recorded).
	TableFull
)

func (v TableView) String() string {
	switch v {
	case TableNone:
		return "none"
	case TableAggregates:
		return "aggregates"
	case TableMasked:
		return "masked"
	case TableFull:
		return "full"
	}
	return fmt.Sprintf("TableView(%d)", int(v))
}

// TableGrant is what one audience may see of a record's table.
type TableGrant struct {
	Audience Audience
	View     TableView
}

// Visible is the answer of Visibility: what each audience may see of one record at
// one moment, and until when that answer holds.
type Visible struct {
	// Grants lists the audiences that may see something, in a fixed order.
	// Audiences not listed may see nothing.
	Grants []Grant
	// Tables lists what audiences may see of the record's per-household table
	// (none when the record has no table).
	Tables []TableGrant
	// Until is the first moment after the one asked about at which the answer may
	// change (a publicity window, the record's or its table's, opening or
	// closing); zero when it holds until the state changes.
	Until time.Time
}

// TableFor returns what viewer v may see of the record's table: the most that
// any of its audiences may.
func (s Visible) TableFor(v Viewer) TableView {
	best := TableNone
	for _, a := range v.Audiences() {
		for _, g := range s.Tables {
			if g.Audience == a && g.View > best {
				best = g.View
			}
		}
	}
	return best
}

// For returns what viewer v may see: the most that any of its audiences may.
func (s Visible) For(v Viewer) Access {
	best := AccessNone
	for _, a := range v.Audiences() {
		for _, g := range s.Grants {
			if g.Audience == a && g.Access > best {
				best = g.Access
			}
		}
	}
	return best
}

// Visibility decides who may see what of rec, in state st, at the moment now. rec's
// Disclosure is its effective class (the catalogue's defaults applied, as the archive
// stores every record); an empty or unknown class is treated as restricted.
func Visibility(rec Record, st RecordState, now time.Time) Visible {
	var out Visible
	grant := func(a Audience, x Access) { out.Grants = append(out.Grants, Grant{a, x}) }
	table := func(a Audience, v TableView) { out.Tables = append(out.Tables, TableGrant{a, v}) }
	if rec.Disposal != nil {
		st.Disposed = true // a tombstone: whatever the caller's state says
	}

	// Staff.
	staffAll := AccessContent
	if st.Disposed {
		staffAll = AccessCatalogue // only the tombstone is left
	}
	grant(AudienceRole(RoleArchivist), staffAll)
	grant(AudienceRole(RoleInspector), staffAll)
	for _, r := range []Role{RoleSystemAdmin, RoleSecurityOfficer, RoleAuditor} {
		grant(AudienceRole(r), AccessCatalogue)
	}
	if st.Table.Attached && !st.Disposed {
		table(AudienceRole(RoleArchivist), TableFull)
		table(AudienceRole(RoleInspector), TableFull)
	}

	// Everyone else.
	if st.Disposed {
		return out
	}
	// Granted requests: the record itself, whatever its publication.
	if grantable(rec.Disclosure) {
		for _, t := range st.Grants {
			if SubjectRequest.ValidID(t) {
				grant(AudienceTicket(t), AccessContent)
			}
		}
	}
	if rec.Disclosure == Household {
		// Delivered to the household when filed; never published, so neither
		// publication nor a window applies.
		if rec.Project != "" && rec.Household != "" {
			grant(AudienceHousehold(rec.Project, rec.Household), AccessContent)
		}
		return out
	}
	out.Until = nextChange(now, st.Window, st.Table.Window, st.Table.Attached)
	if st.Publication != Published || !st.Window.Contains(now) {
		return out
	}
	switch rec.Disclosure {
	case Public:
		grant(AudiencePublic, AccessContent)
	case Area:
		if rec.Project != "" {
			grant(AudienceProject(rec.Project), AccessContent)
		}
	case OnRequest:
		grant(AudiencePublic, AccessCatalogue)
	}
	// The table is shown with its record, to the record's project, while its own
	// window runs; the public sees only its aggregates.
	if st.Table.Attached && st.Table.Window.Contains(now) && rec.Project != "" &&
		(rec.Disclosure == Public || rec.Disclosure == Area) {
		table(AudienceProject(rec.Project), TableMasked)
		table(AudiencePublic, TableAggregates)
	}
	return out
}

// nextChange is the first moment after now at which a window (the record's, or
// its table's when it has one) opens or closes; zero if none lies ahead.
func nextChange(now time.Time, rec, tab Window, hasTable bool) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && now.Before(t) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(rec.Start)
	consider(rec.End)
	if hasTable {
		consider(tab.Start)
		consider(tab.End)
	}
	return next
}

// grantable reports whether a record of class d may be granted to a request:
// public, area and on-request records may (a request may ask for what is not yet
// published, 政府信息公开条例 Art. 27); household records hold one household's
// personal data, and restricted ones are for staff (Art. 14-16), so a request
// for them is answered with a reason, never with the record.
func grantable(d Disclosure) bool { return d == Public || d == Area || d == OnRequest }

// ErrNotGrantable: the record's class forbids granting it to a request.
var ErrNotGrantable = errors.New("the disclosure class forbids granting it to a request")

// CheckGrantable says whether rec may be granted to a disclosure request, and if
// not why.
func CheckGrantable(rec Record) error {
	if grantable(rec.Disclosure) {
		return nil
	}
	return fmt.Errorf("record %s is of class %q, which is never released on request (a public copy may be): %w", rec.ID, rec.Disclosure, ErrNotGrantable)
}

// ErrNotPublishable: the record's class forbids publication.
var ErrNotPublishable = errors.New("the disclosure class forbids publication")

// CheckPublishable says whether rec may be published, and if not why. Public, area
// and on-request records may: publication shows a public record to anyone, an area
// record to the verified households of its project (Decree 590 Art. 15 and 评估办法
// Art. 16 have survey and preliminary appraisal results published within the
// expropriation area), and lists an on-request record's catalogue entry in the
// public catalogue (政府信息公开条例 Art. 12 has the catalogue public; the content
// waits for a granted request). Household records are delivered to their household,
// never published; restricted records are for staff alone.
func CheckPublishable(rec Record) error {
	switch rec.Disclosure {
	case Public, Area, OnRequest:
		return nil
	case Household:
		return fmt.Errorf("record %s is of class household: it is shown to household %s alone and never published: %w", rec.ID, rec.Household, ErrNotPublishable)
	case Restricted:
		return fmt.Errorf("record %s is of class restricted (staff only): %w", rec.ID, ErrNotPublishable)
	}
	return fmt.Errorf("record %s has no known disclosure class (%q): %w", rec.ID, rec.Disclosure, ErrNotPublishable)
}

// String spells the audience for people and logs.
func (g Grant) String() string { return string(g.Audience) + "=" + g.Access.String() }

// String lists the grants, for test failures and logs.
func (s Visible) String() string {
	parts := make([]string, 0, len(s.Grants)+len(s.Tables))
	for _, g := range s.Grants {
		parts = append(parts, g.String())
	}
	for _, g := range s.Tables {
		parts = append(parts, "table:"+string(g.Audience)+"="+g.View.String())
	}
	out := "[" + strings.Join(parts, " ") + "]"
	if !s.Until.IsZero() {
		out += " until " + s.Until.UTC().Format(time.RFC3339)
	}
	return out
}
