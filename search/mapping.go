package search

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/gongshi-archive/gongshi/archive"
)

// The index holds one document per record: its latest version, its project's
// names and its visibility, in five fields:
//
//	ti   title                                      text (CJK unigrams and bigrams)
//	tx   issuer, project name, city, district,      text: the rest of the catalogue entry
//	     type name, document number, archival code
//	ct   abstract, keywords                         text: content, matched only for whom
//	                                                may see the content
//	k    every keyword, as "name:value" terms       keyword: filters, facets, order,
//	                                                visibility (the names below)
//	src  the stored record (storedDoc, JSON)        stored, not indexed
//
// The keywords share one field, each kind under its prefix, because every field
// costs the index builder work per document, and one field with a dozen terms
// costs a fraction of a dozen fields:
//
//	p:CODE  pl:CODE␟NAME  ty:TYPE  c:CITY  di:DISTRICT  cl:CLASS  ps:STATUS
//	y:2024  m:202403  d:20240315                  the document's date
//	dn:长府征字(2024)3号                           document number, normalized (normDocNumber)
//	ac:Z109ZS2024YCQ010007                         archival code, normalized (normCode)
//	pc:RECORD-ID                                   the original of a public copy (公开版本)
//	vc:AUDIENCE  vf:AUDIENCE                       who may see the catalogue entry, the content
//	un:000001767225600000                          when the visibility changes next
//	py: pm: pd: ph:  fy: fm: fd: fh:               publication and filing time, year to hour
//
// No field keeps term vectors, doc values or anything else a query here does
// not read: the index is derived and lean.
const (
	fTitle   = "ti"
	fText    = "tx"
	fContent = "ct"
	fKeyword = "k"
	fSource  = "src"

	// Keyword kinds, the prefixes of the terms of field k.
	fProject      = "p"
	fProjectLabel = "pl"
	fType         = "ty"
	fCity         = "c"
	fDistrict     = "di"
	fClass        = "cl"
	fPubState     = "ps"
	fYear         = "y"
	fMonth        = "m"
	fDay          = "d"
	fDocNum       = "dn"
	fCode         = "ac"
	fPublicCopy   = "pc"
	fVisCat       = "vc"
	fVisFull      = "vf"
	fUntil        = "un"
	// When the publication in force began and when the version was filed, in
	// China's time, by year, month, day and hour: the orders of the latest
	// disclosures and the latest filings.
	fPubYear    = "py"
	fPubMonth   = "pm"
	fPubDay     = "pd"
	fPubHour    = "ph"
	fFiledYear  = "fy"
	fFiledMonth = "fm"
	fFiledDay   = "fd"
	fFiledHour  = "fh"
)

// isText reports whether field is a text field (else a keyword kind).
func isText(field string) bool { return field == fTitle || field == fText || field == fContent }

// kwTerm is the term of keyword kind field with value v in field k.
func kwTerm(field, v string) string { return field + ":" + v }

// newMapping is the index's explicit mapping: nothing dynamic, nothing indexed
// that a query does not use. Documents are built field by field (toIndex), as
// this mapping says; bleve keeps it with the index, where its own queries (the
// benchmark's baseline) read it.
func newMapping() *mapping.IndexMappingImpl {
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = false, false, false, false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{fTitle, fText, fContent} {
		doc.AddFieldMappingsAt(name, text())
	}
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer = keyword.Name
	kw.Store, kw.IncludeTermVectors, kw.IncludeInAll, kw.DocValues = false, false, false, false
	doc.AddFieldMappingsAt(fKeyword, kw)
	src := bleve.NewTextFieldMapping()
	src.Index, src.Store, src.IncludeInAll, src.IncludeTermVectors, src.DocValues = false, true, false, false, false
	doc.AddFieldMappingsAt(fSource, src)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzerName
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// storedDoc is what the index keeps of a record to show a hit and to decide its
// visibility again: the record's catalogue entry and content fields, its
// project's names, its state.
type storedDoc struct {
	ID           string                    `json:"id"`
	Version      int                       `json:"v"`
	Project      string                    `json:"p"`
	ProjectName  string                    `json:"pn,omitempty"`
	City         string                    `json:"c,omitempty"`
	District     string                    `json:"di,omitempty"`
	Type         string                    `json:"ty"`
	Title        string                    `json:"ti"`
	DocNumber    string                    `json:"dn,omitempty"`
	Issuer       string                    `json:"is,omitempty"`
	Date         archive.Date              `json:"d"`
	Class        archive.Disclosure        `json:"cl"`
	ArchivalCode string                    `json:"ac,omitempty"`
	Abstract     string                    `json:"ab,omitempty"`
	Keywords     []string                  `json:"kw,omitempty"`
	Household    string                    `json:"hh,omitempty"`
	Pages        int                       `json:"pg,omitempty"`
	FiledAt      time.Time                 `json:"fa"`
	Publication  archive.PublicationStatus `json:"ps,omitempty"`
	WindowStart  time.Time                 `json:"ws,omitzero"`
	WindowEnd    time.Time                 `json:"we,omitzero"`
	PublishedAt  time.Time                 `json:"pa,omitzero"`
	FirstPubAt   time.Time                 `json:"fp,omitzero"`
	Disposed     bool                      `json:"dp,omitempty"`
	PublicCopyOf string                    `json:"pco,omitempty"`
	Grants       []string                  `json:"gr,omitempty"`
	Table        bool                      `json:"tb,omitempty"`
	TableStart   time.Time                 `json:"ts,omitzero"`
	TableEnd     time.Time                 `json:"te,omitzero"`
}

// Doc is one record as the index takes it: its latest version, its project and its
// state.
type Doc struct {
	Record  archive.Record
	Project archive.Project
	State   archive.RecordState
}

func storedOf(d Doc) storedDoc {
	r := d.Record
	return storedDoc{
		ID: r.ID, Version: r.Version, Project: r.Project, ProjectName: d.Project.Name,
		City: d.Project.City, District: d.Project.District, Type: r.Type, Title: r.Title,
		DocNumber: r.DocNumber, Issuer: r.Issuer, Date: r.Date, Class: r.Disclosure,
		ArchivalCode: r.ArchivalCode, Abstract: r.Abstract, Keywords: r.Keywords,
		Household: r.Household, Pages: r.Pages, FiledAt: r.FiledAt,
		Publication: d.State.Publication, WindowStart: d.State.Window.Start,
		WindowEnd: d.State.Window.End, Disposed: d.State.Disposed,
		PublishedAt: d.State.PublishedAt, FirstPubAt: d.State.FirstPublishedAt,
		PublicCopyOf: r.PublicCopyOf,
		Grants:       d.State.Grants, Table: d.State.Table.Attached,
		TableStart: d.State.Table.Window.Start, TableEnd: d.State.Table.Window.End,
	}
}

// record and state give back what Visibility reads.
func (s storedDoc) record() archive.Record {
	return archive.Record{ID: s.ID, Version: s.Version, Project: s.Project, Type: s.Type,
		Title: s.Title, DocNumber: s.DocNumber, Issuer: s.Issuer, Date: s.Date,
		Disclosure: s.Class, ArchivalCode: s.ArchivalCode, Abstract: s.Abstract,
		Keywords: s.Keywords, Household: s.Household, Pages: s.Pages, FiledAt: s.FiledAt,
		PublicCopyOf: s.PublicCopyOf}
}

func (s storedDoc) state() archive.RecordState {
	return archive.RecordState{Publication: s.Publication, Disposed: s.Disposed,
		Window:      archive.Window{Start: s.WindowStart, End: s.WindowEnd},
		PublishedAt: s.PublishedAt, FirstPublishedAt: s.FirstPubAt, Grants: s.Grants,
		Table: archive.TableState{Attached: s.Table, Window: archive.Window{Start: s.TableStart, End: s.TableEnd}}}
}

// chinaZone is the zone of China (UTC+8, no daylight saving): a day of the
// archive is a day there.
func chinaZone() *time.Location { return time.FixedZone("CST", 8*3600) }

// ymd spells a date's keyword terms.
func ymd(d archive.Date) (y, m, day string) {
	return fmt.Sprintf("%04d", d.Year), fmt.Sprintf("%04d%02d", d.Year, int(d.Month)),
		fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// untilTerm spells the moment visibility changes next: milliseconds since 1970,
// zero-padded, so that the dictionary's order is time order.
func untilTerm(t time.Time) string { return fmt.Sprintf("%015d", t.UnixMilli()) }

func parseUntil(term string) (time.Time, bool) {
	ms, err := strconv.ParseInt(term, 10, 64)
	return time.UnixMilli(ms), err == nil
}

// The indexing options of the fields: indexed only, or stored only.
const (
	indexedOnly = index.IndexField
	storedOnly  = index.StoreField
)

// toIndex makes the index document of d as seen at now, and says when its
// visibility changes next (zero: not by time).
func (ix *indexer) toIndex(d Doc, now time.Time) (*document.Document, time.Time, error) {
	s := storedOf(d)
	src, err := json.Marshal(s)
	if err != nil {
		return nil, time.Time{}, err
	}
	r := d.Record
	doc := document.NewDocument(r.ID)
	text := func(field, v string) {
		if v != "" {
			doc.AddField(document.NewTextFieldCustom(field, nil, []byte(v), indexedOnly, cjkAnalyzer{}))
		}
	}
	kw := func(field, v string) {
		if v != "" {
			// No analyzer: the whole value is the one term.
			doc.AddField(document.NewTextFieldCustom(fKeyword, nil, []byte(kwTerm(field, v)), indexedOnly, nil))
		}
	}
	typeName := r.Type
	if t, ok := ix.cat.Type(r.Type); ok {
		typeName = t.NameZh
	}
	text(fTitle, r.Title)
	for _, v := range []string{r.Issuer, d.Project.Name, d.Project.City, d.Project.District, typeName, r.DocNumber, r.ArchivalCode} {
		text(fText, v)
	}
	text(fContent, r.Abstract)
	for _, k := range r.Keywords {
		text(fContent, k)
	}
	y, m, day := ymd(r.Date)
	for _, f := range [][2]string{
		{fProject, r.Project}, {fProjectLabel, projectLabel(r.Project, d.Project.Name)}, {fType, r.Type},
		{fCity, d.Project.City}, {fDistrict, d.Project.District}, {fClass, string(r.Disclosure)},
		{fPubState, pubState(d.State)}, {fYear, y}, {fMonth, m}, {fDay, day},
		{fDocNum, normDocNumber(r.DocNumber)}, {fCode, normCode(r.ArchivalCode)},
		{fPublicCopy, r.PublicCopyOf},
	} {
		kw(f[0], f[1])
	}
	for _, tf := range []struct {
		t     time.Time
		kinds [4]string
	}{
		{d.State.PublishedAt, [4]string{fPubYear, fPubMonth, fPubDay, fPubHour}},
		{r.FiledAt, [4]string{fFiledYear, fFiledMonth, fFiledDay, fFiledHour}},
	} {
		if tf.t.IsZero() {
			continue
		}
		c := tf.t.In(chinaZone())
		h := c.Format("2006010215")
		for i, k := range tf.kinds {
			kw(k, h[:[]int{4, 6, 8, 10}[i]])
		}
	}
	vis := archive.Visibility(r, d.State, now)
	for _, g := range vis.Grants {
		if g.Access >= archive.AccessCatalogue {
			kw(fVisCat, string(g.Audience))
		}
		if g.Access >= archive.AccessContent {
			kw(fVisFull, string(g.Audience))
		}
	}
	if !vis.Until.IsZero() {
		kw(fUntil, untilTerm(vis.Until))
	}
	doc.AddField(document.NewTextFieldWithIndexingOptions(fSource, nil, src, storedOnly))
	return doc, vis.Until, nil
}

// pubState is the publication facet's value: published, withdrawn, or unpublished.
func pubState(st archive.RecordState) string {
	switch {
	case st.Disposed:
		return "disposed"
	case st.Publication == archive.Published:
		return "published"
	case st.Publication == archive.Withdrawn:
		return "withdrawn"
	}
	return "unpublished"
}
