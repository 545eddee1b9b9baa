package synth

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// The same seed gives the same stream; another seed another.
func TestDeterministic(t *testing.T) {
	digest := func(seed uint64, n int) string {
		h := sha256.New()
		err := New(Options{Seed: seed}).Each(n, func(it Item) error {
			b, err := archive.EncodeRecord(it.Record)
			if err != nil {
				return err
			}
			h.Write(b)
			fmt.Fprintf(h, "%s %s %v\n", it.Project.Code, it.Project.Name, it.State)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	a, b, c := digest(7, 1500), digest(7, 1500), digest(8, 1500)
	if a != b {
		t.Error("two streams of seed 7 differ")
	}
	if a == c {
		t.Error("seeds 7 and 8 give the same stream")
	}
}

// Every record is valid against the catalogue and would be filed as generated;
// every type of the catalogue appears; ids and project codes are unique; a
// project's decision comes after its draft plan; numbers have no gaps.
func TestRecordsAreRealistic(t *testing.T) {
	const n = 15000
	g := New(Options{Seed: 1})
	cat := archive.DefaultCatalogue()
	types := map[string]int{}
	ids := map[string]bool{}
	codes := map[string]string{}
	seqs := 0
	var plan, decision archive.Date
	var project string
	lateDecisions, decisions := 0, 0
	classes := map[archive.Disclosure]int{}
	published := 0
	err := g.Each(n, func(it Item) error {
		r := it.Record
		if it.Seq != seqs {
			t.Fatalf("seq %d, want %d", it.Seq, seqs)
		}
		seqs++
		if err := cat.ValidateRecord(r, g.now); err != nil {
			t.Fatalf("record %d invalid: %v\n%+v", it.Seq, err, r)
		}
		if id, _ := archive.RecordID(r); id != r.ID {
			t.Fatalf("record %d: id %s, derived %s", it.Seq, r.ID, id)
		}
		if ids[r.ID] {
			t.Fatalf("record %d: id %s repeated", it.Seq, r.ID)
		}
		ids[r.ID] = true
		if d := archive.NewDigester(); true {
			d.Write(it.Content)
			if d.Sum() != r.Content {
				t.Fatalf("record %d: content does not match its digests", it.Seq)
			}
		}
		if err := archive.ValidateProject(*it.Project, g.now); err != nil {
			t.Fatalf("project %s invalid: %v", it.Project.Code, err)
		}
		if name, ok := codes[it.Project.Code]; ok && name != it.Project.Name {
			t.Fatalf("project code %s names %s and %s", it.Project.Code, name, it.Project.Name)
		}
		codes[it.Project.Code] = it.Project.Name
		if r.Project != project {
			project, plan, decision = r.Project, archive.Date{}, archive.Date{}
		}
		switch r.Type {
		case "plan_draft":
			plan = r.Date
		case "decision":
			decision = r.Date
			decisions++
			if plan.IsZero() {
				t.Errorf("project %s: decision before any draft plan", r.Project)
			} else if decision.Before(plan.AddDays(30)) {
				lateDecisions++
			}
		case "agreement", "appraisal_report":
			if decision.IsZero() {
				t.Errorf("project %s: %s before the decision", r.Project, r.Type)
			}
		}
		types[r.Type]++
		classes[r.Disclosure]++
		if it.State.Publication == archive.Published {
			published++
			if archive.CheckPublishable(r) != nil {
				t.Errorf("record %d of class %s is published", it.Seq, r.Disclosure)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seqs != n {
		t.Fatalf("%d records, want %d", seqs, n)
	}
	for _, ty := range cat.Types() {
		if ty.Code == "destruction_list" {
			continue // filed by the archive itself when it disposes of records (package retention)
		}
		if types[ty.Code] == 0 {
			t.Errorf("no record of type %s in %d", ty.Code, n)
		}
	}
	for _, c := range archive.Disclosures() {
		if classes[c] == 0 {
			t.Errorf("no record of class %s", c)
		}
	}
	if lateDecisions == 0 || lateDecisions*10 > decisions {
		t.Errorf("%d of %d decisions came before the comment period ended: want a few", lateDecisions, decisions)
	}
	if published == 0 {
		t.Error("nothing published")
	}
	t.Logf("%d records, %d projects, %d published, classes %v", n, len(codes), published, classes)
}

// Document numbers come in the bracket styles people use, and are valid numbers.
func TestDocNumberStyles(t *testing.T) {
	styles := map[string]int{}
	err := New(Options{Seed: 3}).Each(15000, func(it Item) error {
		for _, b := range []string{"〔", "[", "（", "(", "［"} {
			if len(it.Record.DocNumber) > 0 && it.Record.Type != "enforcement" && containsRune(it.Record.DocNumber, b) {
				styles[b]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"〔", "[", "（", "(", "［"} {
		if styles[b] == 0 {
			t.Errorf("no document number with %s", b)
		}
	}
}

func containsRune(s, r string) bool {
	for _, c := range s {
		if string(c) == r {
			return true
		}
	}
	return false
}

// A million records stream without holding them: a benchmark of the rate.
func BenchmarkEach(b *testing.B) {
	g := New(Options{Seed: 1})
	b.ResetTimer()
	n := 0
	_ = g.Each(b.N, func(it Item) error { n++; return nil })
	if n != b.N {
		b.Fatalf("%d records, want %d", n, b.N)
	}
}
