package portal

import (
	"context"
	"io"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// Archive is what the portal reads from the record store; *archive.Archive has it.
type Archive interface {
	Catalogue() *archive.Catalogue
	Projects(ctx context.Context) ([]archive.Project, error)
	Project(ctx context.Context, code string) (archive.Project, error)
	Record(ctx context.Context, id string) (archive.Record, error)
	RecordVersions(ctx context.Context, id string) ([]archive.Record, error)
	OpenContent(ctx context.Context, h archive.Hash) (io.ReadCloser, error)
}

// Ledger is what the portal reads from the transparency log; *ledger.Log has it.
type Ledger interface {
	Latest(ctx context.Context) ([]byte, ledger.Checkpoint, error)
	Lookup(ctx context.Context, id string, version int) ([]ledger.Located, error)
}

// Tiles reads the ledger's stored objects by key (ledger/tile/..., C2SP
// tlog-tiles paths): a blob.Getter has it.
type Tiles interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Query is a search of the records a viewer may see.
type Query struct {
	// Text is what the visitor typed; "" matches every record.
	Text string
	// Filters; "" (or the zero Date) means any.
	Project  string
	Type     string
	Step     string
	City     string
	District string
	Year     int
	// PublicCopyOf finds the public copies of the record with this id.
	PublicCopyOf string
	// Sort is "" (relevance, or newest first without Text), "newest" (by filing
	// time) or "date" (by the document's date, newest first).
	Sort string
	// Offset and Limit page the hits; Limit 0 means the index's default.
	Offset, Limit int
	// Facets asks for the counts by project, type, city and year.
	Facets bool
}

// Facet is one value of a facet and how many hits have it.
type Facet struct {
	Value string
	Count int
	// Label is the value's name where the index knows one: a project's name
	// for the project facet ("" otherwise).
	Label string
}

// Hit is one record a search found, with what the viewer may see of it.
type Hit struct {
	// Record is the latest version. With AccessCatalogue only its catalogue
	// fields (archive.CatalogueFields) are set; the index clears the rest.
	Record archive.Record
	// Access is AccessCatalogue or AccessContent, never AccessNone.
	Access archive.Access
	// ProjectName is the name of the record's project ("" if the index does
	// not know it).
	ProjectName string
	// Published is the day (in China) the record was first published; zero if
	// never. The procedure's disclosure clocks stop on it.
	Published archive.Date
}

// Result is what a search found.
type Result struct {
	// Total is the number of hits, beyond the page returned.
	Total int
	Hits  []Hit
	// Facets by name ("project", "type", "city", "year"), most frequent first,
	// when the query asked for them.
	Facets map[string][]Facet
}

// Index answers searches over the records a viewer may see, and says how far
// into the ledger it has read. The search package implements it; the portal
// asks it for every list of records a page shows.
type Index interface {
	// Search returns the records matching q that v may see, and only those.
	Search(ctx context.Context, v Viewer, q Query) (Result, error)
	// Access is what v may see of the record version r now (archive.Visibility
	// with the record's state): the same rule Search applies.
	Access(ctx context.Context, v Viewer, r archive.Record) (archive.Access, error)
	// Position is the number of ledger entries the index reflects: a page rendered
	// from the index is current up to that entry.
	Position() int64
}
