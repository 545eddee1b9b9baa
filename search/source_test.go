package search

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/synth"
)

// memSource is a Source held in memory: a ledger of changes and the records they
// name. Tests append to it as an archive would.
type memSource struct {
	mu      sync.Mutex
	changes []Change
	docs    map[string]Doc
	loads   int // Doc calls
	failAt  int // Doc fails after this many calls (0: never)
}

func newMemSource() *memSource { return &memSource{docs: map[string]Doc{}} }

// put files or changes a record: one ledger entry.
func (s *memSource) put(d Doc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Record.Version == 0 {
		d.Record.Version = 1
	}
	s.docs[d.Record.ID] = d
	s.changes = append(s.changes, Change{Index: int64(len(s.changes)), Record: d.Record.ID, Version: d.Record.Version})
}

// remove takes a record out of the archive (a test of deletion): one entry.
func (s *memSource) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs, id)
	s.changes = append(s.changes, Change{Index: int64(len(s.changes)), Record: id})
}

// project changes a project's names: one entry.
func (s *memSource) project(p archive.Project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, d := range s.docs {
		if d.Record.Project == p.Code {
			d.Project = p
			s.docs[id] = d
		}
	}
	s.changes = append(s.changes, Change{Index: int64(len(s.changes)), Project: p.Code})
}

func (s *memSource) Size(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.changes)), nil
}

func (s *memSource) Changes(ctx context.Context, from, to int64, fn func(Change) error) error {
	s.mu.Lock()
	cs := append([]Change(nil), s.changes[from:min(to, int64(len(s.changes)))]...)
	s.mu.Unlock()
	for _, c := range cs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *memSource) Doc(ctx context.Context, id string, _ Hint) (Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.failAt > 0 && s.loads > s.failAt {
		return Doc{}, fmt.Errorf("injected failure")
	}
	d, ok := s.docs[id]
	if !ok {
		return Doc{}, ErrGone
	}
	return d, nil
}

// synthNow is the moment synthetic archives are made at (synth's default).
var synthNow = time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)

// synthSource is a memSource of the first n synthetic records.
func synthSource(seed uint64, n int) *memSource {
	s := newMemSource()
	_ = synth.New(synth.Options{Seed: seed}).Each(n, func(it synth.Item) error {
		s.put(Doc{Record: it.Record, Project: *it.Project, State: it.State})
		return nil
	})
	return s
}

// openSynth opens an index of n synthetic records in a new directory, closed at
// the test's end.
func openSynth(t *testing.T, seed uint64, n int) (*Index, Options) {
	t.Helper()
	opts := Options{Dir: t.TempDir(), Source: synthSource(seed, n), Now: func() time.Time { return synthNow }, Shards: 2}
	ix, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, opts
}
