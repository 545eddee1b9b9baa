package archive

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the version of the JSON form of projects and records written by
// this code. Every stored document carries it as "schema"; a reader refuses a version
// it does not know (ErrSchema) rather than misread it.
const SchemaVersion = 1

// Category is the public-interest ground of an expropriation (Decree 590 Art. 8).
type Category string

// The grounds of Decree 590 Art. 8, items 1 to 6.
const (
	CategoryDefense           Category = "defense"             // 国防和外交
	CategoryInfrastructure    Category = "infrastructure"      // 能源、交通、水利等基础设施
	CategoryPublicService     Category = "public_service"      // 科教文卫体、环境资源、防灾、文物、社会福利、市政公用等公共事业
	CategoryAffordableHousing Category = "affordable_housing"  // 保障性安居工程
	CategoryOldCityRenewal    Category = "old_city_renovation" // 旧城区改建
	CategoryOther             Category = "other"               // 法律、行政法规规定的其他公共利益
)

// Categories lists the grounds in the order of Art. 8.
func Categories() []Category {
	return []Category{CategoryDefense, CategoryInfrastructure, CategoryPublicService,
		CategoryAffordableHousing, CategoryOldCityRenewal, CategoryOther}
}

// Label is the ground's name in Chinese, as people read it, e.g. 旧城区改建.
func (c Category) Label() string {
	switch c {
	case CategoryDefense:
		return "国防和外交"
	case CategoryInfrastructure:
		return "基础设施建设"
	case CategoryPublicService:
		return "公共事业"
	case CategoryAffordableHousing:
		return "保障性安居工程"
	case CategoryOldCityRenewal:
		return "旧城区改建"
	case CategoryOther:
		return "其他公共利益"
	}
	return string(c)
}

// Valid reports whether c is one of the grounds.
func (c Category) Valid() bool {
	for _, k := range Categories() {
		if c == k {
			return true
		}
	}
	return false
}

// Supersedes says which version a correction replaces and why.
type Supersedes struct {
	Version int    `json:"version"`
	Reason  string `json:"reason"`
}

// Project is one expropriation project: the unit that residents browse and that the
// archives receive as one transfer. Versions are immutable: a change is a new version
// that supersedes the previous one.
type Project struct {
	// Code identifies the project in keys, URLs and 档号; see ValidateProjectCode.
	Code string
	// Version is 1 for the project as created, n+1 for each correction.
	Version int
	// Name is the project's name, e.g. "南关区东天街片区旧城区改建项目".
	Name string
	// City (市) and District (县、区) where the land lies.
	City     string
	District string
	// Department is the expropriating department (房屋征收部门).
	Department string
	// Implementer is the implementing unit (房屋征收实施单位) the department
	// entrusted, if any.
	Implementer string
	// Contact is how residents reach the implementing unit (or the department):
	// an office address and telephone, as the disclosure guide lists it
	// (政府信息公开条例 Art. 12). Hotline is the complaint telephone
	// (投诉举报电话). Both are the unit's, never a person's.
	Contact string
	Hotline string
	// Category is the public-interest ground (Decree 590 Art. 8); empty when not yet
	// recorded.
	Category Category
	// Dates are the project's key dates by name, e.g. "decision" (征收决定),
	// "announcement" (公告, also the valuation date), "signing_start",
	// "signing_end", "relocation_deadline". Names are lowercase snake case.
	Dates map[string]Date
	// Households is the number of households affected (被征收户数), 0 when unknown.
	Households int
	// CreatedAt is when version 1 was created; every version carries it.
	CreatedAt time.Time
	// UpdatedAt is when this version was created (equal to CreatedAt in version 1).
	UpdatedAt time.Time
	// Supersedes is set in corrections (version > 1).
	Supersedes *Supersedes
	// Actor is who made this version (see Actor); empty in versions made before
	// actors were recorded. CreateProject and CorrectProject fill it in when the
	// caller leaves it empty (Options.Actor).
	Actor Actor
}

// Record is one filed document: its metadata, the digests of its content, and its
// place in the version chain. Versions are immutable; a correction is a new version
// with the same ID that supersedes the previous one.
type Record struct {
	// ID identifies the filing across versions; see RecordID.
	ID string
	// Version is 1 as filed, n+1 for each correction.
	Version int
	// Project is the code of the project the record belongs to.
	Project string
	// Type is a document-type code of the catalogue, e.g. "decision".
	Type string
	// Title is the document's title (题名).
	Title string
	// DocNumber is the document number (文号), e.g. "长征补〔2024〕12号".
	DocNumber string
	// Issuer is the responsible party (责任者): the body that issued the document.
	Issuer string
	// Abstract is a short summary of the document's content (摘要, DA/T 46), for
	// search and the catalogue; empty when none was given. It is part of the
	// content as far as disclosure goes: who may only see a record's catalogue
	// entry (an on-request record before a request is granted) does not see it.
	Abstract string
	// Keywords are subject words (主题词), at most 20, none repeated.
	Keywords []string
	// Date is the date the document bears (成文日期).
	Date Date
	// Disclosure is who may see the record; empty means the type's default.
	Disclosure Disclosure
	// Retention is the retention period; empty means the type's default.
	Retention RetentionCode
	// ArchivalCode is the archival code (档号, DA/T 22-2015), e.g.
	// "Z109-ZS·2024-Y-CQ01-0007", when one has been assigned.
	ArchivalCode string
	// Pages is the page count, 0 when unknown.
	Pages int
	// Format is the file format code, one of the catalogue's formats (e.g. "pdf").
	Format string
	// FileName is the name of the file as it was filed (for downloads; never a key).
	FileName string
	// Household identifies the household (户号) of a per-household document.
	Household string
	// PublicCopyOf, when set, makes this record the public copy (公开版本) of the
	// record with that id: a redacted version of a document whose original holds
	// personal data, filed by an archivist to be published in its place. The copy
	// has its own content, digests and ledger entry (which binds this field); it is
	// of class public whatever its type's default, and belongs to the original's
	// project. The portal serves the copy where the original may not be shown.
	PublicCopyOf string
	// Content are the digests of the document's bytes, stored under ContentKey.
	Content Digests
	// Signatures is the signature report that ingest fills in (signers, times,
	// algorithms, verdicts), as JSON; archive stores it canonically and does not
	// interpret it. Empty when there is none yet.
	Signatures json.RawMessage
	// Report is the four-property report (四性检测, DA/T 70-2018) that ingest made
	// when it filed this version, as JSON; archive stores it canonically, beside
	// the signature report, and does not interpret it. It is not part of the
	// record's identity (RecordID): it is the archive's finding, not the filer's
	// claim. Empty when there is none.
	Report json.RawMessage
	// Schedule is the retention schedule of the record as it was when this
	// version was stored: the period, its trigger and the disposal date (see
	// Options.Locks). Like Report it is the archive's finding, not part of the
	// record's identity; nil when no retention policy was configured. A later
	// extension (package retention) is a version of the record's retention state,
	// not of the record.
	Schedule *Schedule
	// Disposal is set in a tombstone, the last version of a record disposed of
	// at the end of its retention period: when, and on whose approval. Its
	// content is gone (unless another record that is kept has the same).
	Disposal *Disposal
	// Supersedes is set in corrections (version > 1).
	Supersedes *Supersedes
	// Actor is who filed this version (see Actor); empty in versions filed before
	// actors were recorded. CreateRecord and CorrectRecord fill it in when the
	// caller leaves it empty (Options.Actor). Like FiledAt, it is not part of the
	// record's identity: the same filing by another actor is the same record.
	Actor Actor
	// FiledAt is when this version was stored.
	FiledAt time.Time
}
