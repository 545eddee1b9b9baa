package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// Options configure a Generator. The zero value is usable.
type Options struct {
	// Seed decides everything generated: the same seed, the same archive.
	Seed uint64
	// Now is the moment the archive is generated at: no document is dated after
	// it, so projects started lately are still in progress. Zero means
	// 2026-11-30 12:00 in China, so that the default archive does not change with
	// the day it is made.
	Now time.Time
	// Catalogue gives the document types' default classes and retention
	// periods; nil means archive.DefaultCatalogue().
	Catalogue *archive.Catalogue
}

// Item is one generated record with what belongs to it.
type Item struct {
	// Seq is the record's place in the stream, from 0.
	Seq int
	// Record is the record as the archive stores version 1: the catalogue's
	// defaults applied, ID, Version and FiledAt set.
	Record archive.Record
	// Project is the record's project (shared by the records of one project: do
	// not change it).
	Project *archive.Project
	// State is the record's publication state: most public, area and on-request
	// records are published some days after their date, a few were withdrawn.
	State archive.RecordState
	// Content is the record's stand-in content, whose digests the record holds.
	Content []byte

	pending doc // while the project is generated
}

// Generator makes a synthetic archive of Jilin expropriation projects. It is
// deterministic: the same Options give the same stream. A Generator is not safe for
// concurrent use; each Each starts the stream from its beginning.
type Generator struct {
	seed   uint64
	now    time.Time
	today  archive.Date
	cat    *archive.Catalogue
	cities []city
}

// New returns a Generator.
func New(opts Options) *Generator {
	g := &Generator{seed: opts.Seed, now: opts.Now, cat: opts.Catalogue, cities: jilin()}
	if g.now.IsZero() {
		g.now = time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	}
	if g.cat == nil {
		g.cat = archive.DefaultCatalogue()
	}
	g.today = archive.DateOf(g.now)
	return g
}

// stream is the state one pass of the stream carries from project to project:
// the counters of document and archival item numbers, which have no gaps.
type stream struct {
	g        *Generator
	docSeq   map[string]int // per "prefix|year": the last serial number given
	itemSeq  map[string]int // per archival class: the last item number given
	codeSeq  map[string]int // per city and year: the last project number given
	seq      int
	projects int
}

// Each calls fn with the first n records of the stream, in order, and stops at the
// first error fn returns (returned as is). Records come project by project, each
// project's in the order of their dates; only one project is held in memory at a
// time, so n may be a million or more.
func (g *Generator) Each(n int, fn func(Item) error) error {
	s := &stream{g: g, docSeq: map[string]int{}, itemSeq: map[string]int{}, codeSeq: map[string]int{}}
	for i := 0; s.seq < n; i++ {
		items := s.project(i)
		for k := range items {
			if s.seq >= n {
				return nil
			}
			items[k].Seq = s.seq
			s.seq++
			if err := fn(items[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Projects returns the projects of the first n records of the stream, in order.
func (g *Generator) Projects(n int) []*archive.Project {
	var out []*archive.Project
	_ = g.Each(n, func(it Item) error {
		if len(out) == 0 || out[len(out)-1] != it.Project {
			out = append(out, it.Project)
		}
		return nil
	})
	return out
}

// pick returns an element of a weighted list.
func pick[T any](r *rand.Rand, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	x := r.IntN(total)
	for _, it := range items {
		if x -= weight(it); x < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

func oneOf[T any](r *rand.Rand, items ...T) T { return items[r.IntN(len(items))] }

// plan is one project being generated.
type plan struct {
	r        *rand.Rand
	p        *archive.Project
	c        city
	d        district
	place    string
	kind     string
	items    []Item
	hh       []household
	start    archive.Date
	s        *stream
	appraise string
}

type household struct {
	number  string // 户号: 0001
	head    string // 户主
	address string
	area    float64 // building area, m²
}

// project makes project i and all its records dated up to now.
func (s *stream) project(i int) []Item {
	g := s.g
	r := rand.New(rand.NewPCG(g.seed, uint64(i)+1))
	c := pick(r, g.cities, func(c city) int { return c.weight })
	d := c.districts[r.IntN(len(c.districts))]
	kind := pick(r, projectKinds, func(k struct {
		suffix   string
		category string
		weight   int
	}) int {
		return k.weight
	})
	place := oneOf(r, placeNames...)
	// Projects start between 2011 (Decree 590) and now, more of them lately.
	span := int(g.now.Sub(time.Date(2011, 3, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	back := int(float64(span) * (1 - r.Float64()*r.Float64()*0.3 - r.Float64()*0.7))
	start := g.today.AddDays(-back)
	s.codeSeq[c.code+fmt.Sprint(start.Year)]++
	code := fmt.Sprintf("%s-%04d-%03d", c.code, start.Year, s.codeSeq[c.code+fmt.Sprint(start.Year)])
	name := d.name + place + kind.suffix
	if strings.HasSuffix(kind.suffix, "工程") && r.IntN(2) == 0 {
		name = place + kind.suffix
	}
	p := &archive.Project{
		Code: code, Version: 1, Name: name, City: c.name, District: d.name,
		Department:  c.name + "房屋征收经办中心",
		Implementer: d.name + "房屋征收管理办公室",
		Category:    archive.Category(kind.category),
		CreatedAt:   g.now, UpdatedAt: g.now,
	}
	n := 30 + int(float64(570)*r.Float64()*r.Float64())
	p.Households = n
	pl := &plan{r: r, p: p, c: c, d: d, place: place, kind: kind.suffix, start: start, s: s,
		appraise: oneOf(r, appraisers...)}
	pl.hh = make([]household, n)
	for k := range pl.hh {
		pl.hh[k] = household{
			number:  fmt.Sprintf("%04d", k+1),
			head:    string(oneOf(r, surnames...)) + string(oneOf(r, givenNames...)) + string(oneOf(r, givenNames...)),
			address: fmt.Sprintf("%s%s%d号%d单元%d室", d.name, place, 1+r.IntN(80), 1+r.IntN(6), 100*(1+r.IntN(7))+1+r.IntN(4)),
			area:    float64(30+r.IntN(110)) + float64(r.IntN(100))/100,
		}
	}
	pl.generate()
	slices.SortStableFunc(pl.items, func(a, b Item) int { return a.pending.date.Compare(b.pending.date) })
	// Numbers are given in date order, as an office gives them.
	for k := range pl.items {
		pl.finish(&pl.items[k], k)
	}
	p.Dates = map[string]archive.Date{}
	for _, it := range pl.items {
		if it.Record.Type == "decision" {
			p.Dates["decision"] = it.Record.Date
		}
	}
	s.projects++
	return pl.items
}
