package portal

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

func TestLedgerCheckpointAndTiles(t *testing.T) {
	f := newFixture(t)
	if w := f.get("/ledger/checkpoint"); w.Code != 404 {
		t.Fatalf("empty ledger: checkpoint %d", w.Code)
	}
	f.project("CC-2026-001", "东天街片区", "长春市", "南关区")
	for i := 0; i < 3; i++ {
		f.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "决定" + string(rune('A'+i))}, "bytes "+string(rune('A'+i)))
	}
	w := f.get("/ledger/checkpoint")
	v, _ := note.NewVerifier(f.key.VerifierKey)
	cp, err := ledger.OpenCheckpoint(w.Body.Bytes(), v)
	if err != nil || cp.Size != 4 { // the project and three records
		t.Fatalf("checkpoint: %v, size %d", err, cp.Size)
	}
	w = f.get("/ledger/tile/0/000.p/4")
	if w.Code != 200 || w.Body.Len() != 4*32 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("tile 0/000.p/4: %d, %d bytes, %q", w.Code, w.Body.Len(), w.Header().Get("Cache-Control"))
	}
	for _, bad := range []string{"/ledger/tile/0/000.p/9", "/ledger/tile/0/0", "/ledger/tile/0/000.p/03", "/ledger/tile/../../records",
		"/ledger/tile/99/000", "/ledger/tile/entries/000"} {
		if w := f.get(bad); w.Code != 404 {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
}
