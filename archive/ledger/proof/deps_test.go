package proof

import (
	"os/exec"
	"strings"
	"testing"
)

// The package stays small enough to vendor into another program: besides the
// standard library it needs golang.org/x/mod's note and tlog, and nothing of
// the archive (no catalogue, validator or store), of ingest, of the storage
// backends, the search index or the web server.
func TestImportsAreSmall(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{
		"golang.org/x/mod/sumdb/note": true, "golang.org/x/mod/sumdb/tlog": true,
		"github.com/gongshi-archive/gongshi/archive/ledger/proof": true,
	}
	for _, p := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(p, "/")
		if !strings.Contains(first, ".") || allowed[p] || strings.HasPrefix(p, "crypto/internal/") {
			continue // the standard library
		}
		t.Errorf("proof depends on %s", p)
	}
}
