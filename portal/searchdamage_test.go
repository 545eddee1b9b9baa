package portal

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/search"
	"github.com/gongshi-archive/gongshi/search/searchtest"
)

// heldSource holds a rebuild back (its read of the whole ledger) while its gate
// is held.
type heldSource struct {
	search.Source
	searchtest.Gate
}

func (s *heldSource) Changes(ctx context.Context, from, to int64, fn func(search.Change) error) error {
	if err := s.Wait(ctx, from); err != nil {
		return err
	}
	return s.Source.Changes(ctx, from, to, fn)
}

// A search index found damaged while serving: the search page answers 503 with
// "being rebuilt" in the visitor's language (JSON for the API), never a 500 or
// bleve's words; once rebuilt, it answers again.
func TestSearchIndexDamaged(t *testing.T) {
	dir := t.TempDir()
	src := &heldSource{}
	defer src.Release()
	var ix *search.Index
	f := newFixture(t, func(o *Options) {
		a, l := o.Archive.(*archive.Archive), o.Ledger.(*ledger.Log)
		src.Source = search.ArchiveSource(a, l, nil)
		var err error
		ix, err = search.Open(context.Background(), search.Options{Dir: dir, Source: src, Now: o.Now, Background: true, Log: o.Logger})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		o.Index = NewSearchIndex(ix, a.Catalogue(), a.RecordState, o.Now)
	})
	f.project("CC-2026-001", "东天街片区旧城区改建项目", "长春市", "南关区")
	r := f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定"}, "决定")
	if _, err := f.arch.Publish(f.ctx, r.ID, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(f.ctx); err != nil {
		t.Fatal(err)
	}
	if body := f.mustGet("/search?q=征收决定", http.StatusOK); !strings.Contains(body, "关于东天街片区房屋征收的决定") {
		t.Fatalf("before the damage the search page does not find the decision:\n%.2000s", body)
	}
	// A segment file is cut short under the running index; the next rebuild is
	// held back, so the pages are seen while it runs.
	src.Hold()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && filepath.Ext(p) == ".zap" {
			os.Truncate(p, fi.Size()/3)
		}
		return nil
	})
	// A query answered before the damage would come from the search page
	// cache (the answer is still the archive's); the first that reads the
	// damaged files finds the damage, which retires every cached answer.
	for _, tc := range []struct{ path, accept, want string }{
		{"/search?q=东天街", "", "检索索引正在重建"},
		{"/search?q=征收决定", "", "检索索引正在重建"},
		{"/en/search?q=%E5%BE%81%E6%94%B6", "", "The search index is being rebuilt"},
		{"/search?q=征收决定", "application/json", "检索索引正在重建"},
	} {
		w := f.get(tc.path, "Accept", tc.accept)
		body := w.Body.String()
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(body, tc.want) || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s (%s): %d, Retry-After %q\n%.1500s", tc.path, tc.accept, w.Code, w.Header().Get("Retry-After"), body)
		}
		for _, leak := range []string{"zap", "snappy", "bleve", "damaged", dir, "panic", "runtime error"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s: the answer shows %q:\n%.1500s", tc.path, leak, body)
			}
		}
		if tc.accept == "application/json" {
			var e struct {
				Status int `json:"status"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != 503 {
				t.Errorf("JSON answer: %v %s", err, body)
			}
		}
	}
	if !strings.Contains(f.log.String(), "search index damaged") {
		t.Errorf("the damage is not in the log:\n%s", f.log.String())
	}
	src.Release()
	for deadline := time.Now().Add(time.Minute); ix.Status().Rebuilding; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still rebuilding: %+v", ix.Status())
		}
	}
	if body := f.mustGet("/search?q=征收决定", http.StatusOK); !strings.Contains(body, "关于东天街片区房屋征收的决定") {
		t.Fatalf("after the rebuild the search page does not find the decision:\n%.2000s", body)
	}
}
