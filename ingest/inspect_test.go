package ingest

import (
	"context"
	"testing"
)

func TestInspectFixtures(t *testing.T) {
	fx := getFixtures(t)
	in := NewInspector(InspectorOptions{Roots: fx.roots})
	for name, path := range fx.files {
		ins, err := in.Inspect(context.Background(), path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: format=%s size=%d", name, ins.Format, ins.Content.Size)
		if p := ins.PDF; p != nil {
			t.Logf("   valid=%v pages=%d enc=%v active=%v problems=%q", p.Valid, p.Pages, p.Encrypted, p.Active, p.Problems)
			for _, s := range p.Signatures {
				t.Logf("   sig %+v", s)
			}
		}
	}
}
