package search

import (
	"context"
	"errors"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// Searcher answers searches. *Index answers from the index it holds; Client asks
// a running server that holds one (the portal's /api/v1/search). The CLI and the
// portal take a Searcher, so that neither needs to know which.
type Searcher interface {
	Search(ctx context.Context, req Request) (Result, error)
}

// Sort orders the hits.
type Sort string

// The orders.
const (
	// SortRelevance (the default): records with every word of the query in the
	// title first, then with every word anywhere, then with all the query's
	// characters but not its words; newest first within each.
	SortRelevance Sort = ""
	// SortNewest and SortOldest order by the document's date (成文日期).
	SortNewest Sort = "newest"
	SortOldest Sort = "oldest"
	// SortPublished orders by when the publication in force began, latest first
	// (the latest disclosures); records not published come last.
	SortPublished Sort = "published"
	// SortFiled orders by when the record's latest version was filed, latest
	// first.
	SortFiled Sort = "filed"
)

// Limits on a request. Longer queries are cut, not refused: whatever is typed
// into a search box gives results or none, never an error.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxOffset    = 10000
	maxQueryRune = 256
)

// Request is one search. Query is the user's text, never syntax; the filters
// are separate fields. A filter with several values matches any of them.
type Request struct {
	Query    string
	Viewer   archive.Viewer
	Project  []string
	Type     []string
	City     []string
	District []string
	Class    []archive.Disclosure
	Year     []int
	// PublicCopyOf finds the public copies (公开版本) of the records with
	// these ids: the records whose public_copy_of names one of them.
	PublicCopyOf []string
	// From and To bound the document's date, both included; zero leaves a side open.
	From, To archive.Date
	Sort     Sort
	// Offset and Limit choose the page; Limit 0 means DefaultLimit.
	Offset, Limit int
	// NoHighlights leaves the hits' TitleHighlight and AbstractHighlight
	// empty, for a caller that does not show them (they are a tenth of a
	// page's cost). Not in the wire form: the API always highlights.
	NoHighlights bool
}

// Result is one page of hits with the counts of everything that matched.
type Result struct {
	// Total is how many records match (all of them, not just this page).
	Total int `json:"total"`
	// Exact is how many of them hold the query's words as written; the others
	// hold all its characters, but apart.
	Exact int `json:"exact"`
	// Offset is where the page starts (the request's, bounded).
	Offset int   `json:"offset"`
	Hits   []Hit `json:"hits,omitempty"`
	// Facets count the matching records by value: project, type, city,
	// district, class, year, and for staff the publication status.
	Facets Facets `json:"facets,omitempty"`
	// Took is how long the search took.
	Took time.Duration `json:"took_ns"`
}

// Facets are the counts of the matching records by each filter's values, the
// largest first (at most MaxFacetValues a facet; the rest are left off).
type Facets struct {
	Project     []FacetValue `json:"project,omitempty"`
	Step        []FacetValue `json:"step,omitempty"` // the procedure's steps, from the types
	Type        []FacetValue `json:"type,omitempty"`
	City        []FacetValue `json:"city,omitempty"`
	District    []FacetValue `json:"district,omitempty"`
	Class       []FacetValue `json:"class,omitempty"`
	Year        []FacetValue `json:"year,omitempty"`
	Publication []FacetValue `json:"publication,omitempty"` // staff only
}

// MaxFacetValues bounds the values listed for one facet.
const MaxFacetValues = 50

// FacetValue is one value of a facet and how many matching records have it.
type FacetValue struct {
	Value string `json:"value"`
	// Label is the value's name for people where it has one (a type's Chinese
	// name, a project's name).
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
}

// Match says how a hit matched.
type Match string

// The kinds of match, in rank order.
const (
	MatchTitle      Match = "title"      // every word of the query in the title
	MatchWords      Match = "words"      // every word somewhere
	MatchCharacters Match = "characters" // all the characters, not as words
	MatchFilter     Match = "filter"     // no query text: the filters alone
)

// Hit is one matching record as the viewer may see it. Fields the viewer's
// access does not reach are empty: with archive.AccessCatalogue, the catalogue
// entry alone (no abstract, keywords, household or pages).
type Hit struct {
	ID           string             `json:"id"`
	Version      int                `json:"version,omitempty"`
	Project      string             `json:"project,omitempty"`
	ProjectName  string             `json:"project_name,omitempty"`
	City         string             `json:"city,omitempty"`
	District     string             `json:"district,omitempty"`
	Type         string             `json:"type,omitempty"`
	TypeName     string             `json:"type_name,omitempty"`
	Title        string             `json:"title"`
	DocNumber    string             `json:"doc_number,omitempty"`
	Issuer       string             `json:"issuer,omitempty"`
	Date         archive.Date       `json:"date,omitzero"`
	Class        archive.Disclosure `json:"class,omitempty"`
	ArchivalCode string             `json:"archival_code,omitempty"`
	Access       archive.Access     `json:"access,omitempty"`
	Abstract     string             `json:"abstract,omitempty"`
	Keywords     []string           `json:"keywords,omitempty"`
	Household    string             `json:"household,omitempty"`
	Pages        int                `json:"pages,omitempty"`
	// PublicCopyOf is the original's id when the record is its public copy
	// (content: empty with archive.AccessCatalogue).
	PublicCopyOf string `json:"public_copy_of,omitempty"`
	// Publication is shown to staff only.
	Publication archive.PublicationStatus `json:"publication,omitempty"`
	// FiledAt is when the latest version was filed; PublishedAt when the
	// publication in force began and FirstPublishedAt when the record was first
	// published (zero: not published).
	FiledAt          time.Time `json:"filed_at,omitzero"`
	PublishedAt      time.Time `json:"published_at,omitzero"`
	FirstPublishedAt time.Time `json:"first_published_at,omitzero"`
	Match            Match     `json:"match"`
	// TitleHighlight and AbstractHighlight are the title and (a window of) the
	// abstract cut where the query matched; concatenated they give the text.
	TitleHighlight    []Fragment `json:"title_highlight,omitempty"`
	AbstractHighlight []Fragment `json:"abstract_highlight,omitempty"`
}

// Fragment is a piece of a highlighted text.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match"`
}

// Sentinel errors, wrapped with the operation; test with errors.Is.
var (
	// ErrBusy: another process holds the index (a running gongshi serve); ask it
	// through its API instead (Client), or stop it.
	ErrBusy = errors.New("the search index is in use by another process")
	// ErrClosed: the index was closed.
	ErrClosed = errors.New("search index closed")
	// ErrBadRequest: a filter's value is not valid (an unknown class, a year out
	// of range). The query text never is.
	ErrBadRequest = errors.New("invalid search request")
)
