package ingest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/holder"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// Many writers (numberers, as separate processes have) number the same filings
// at once, each filing by several of them: every filing gets one number, the
// same for all its writers, and the numbers are 1..n without a gap.
func TestNumberingManyWritersOneFiling(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, func() time.Time { return testNow })
			const writers, filings = 4, 40
			got := make([][]string, writers)
			var wg sync.WaitGroup
			for w := range writers {
				nb := newNumberer(st, Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"})
				got[w] = make([]string, filings)
				wg.Go(func() {
					var inner sync.WaitGroup
					for i := range filings {
						// Each writer in its own order, several at a time.
						k := (i*7 + w*13) % filings
						inner.Go(func() {
							code, err := nb.assign(ctx, fmt.Sprintf("filing-%02d", k), 2026, archive.Permanent)
							if err != nil {
								t.Error(err)
							}
							got[w][k] = code
						})
					}
					inner.Wait()
				})
			}
			wg.Wait()
			owner := map[string]int{}
			for k := range filings {
				for w := 1; w < writers; w++ {
					if got[w][k] != got[0][k] {
						t.Fatalf("filing %d: writer 0 got %s, writer %d %s", k, got[0][k], w, got[w][k])
					}
				}
				if prev, ok := owner[got[0][k]]; ok {
					t.Fatalf("%s is the number of filings %d and %d", got[0][k], prev, k)
				}
				owner[got[0][k]] = k
			}
			for i := 1; i <= filings; i++ {
				code := archive.ArchivalCode{Fonds: "Z109", Category: "WS", Year: 2026, Retention: archive.Permanent, Department: "CQ01", Item: i}.String()
				if _, ok := owner[code]; !ok {
					t.Errorf("no filing has %s", code)
				}
			}
			claims := 0
			st.List(ctx, "ingest/numbers/", "", func(blob.Info) error { claims++; return nil })
			if claims != filings {
				t.Errorf("%d claims for %d filings", claims, filings)
			}
		})
	}
}

// A claim deleted behind the archive's back: its number is carried by a record,
// so filing never hands it to another document; the next filing gets the next
// number, and the missing claim does not make two records with one 档号.
func TestNumberingDeletedClaim(t *testing.T) {
	ctx := context.Background()
	num := &Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}
	f, a, st := newTestFiler(t, num)
	fx := getFixtures(t)
	first, err := f.File(ctx, fx.files["signed"], decisionMeta())
	if err != nil || first.Status != StatusFiled || !strings.HasSuffix(first.Record.ArchivalCode, "-0001") {
		t.Fatalf("first: %v %s %s", err, first.Status, first.Record.ArchivalCode)
	}
	claim := "ingest/numbers/Z109/WS/2026/Y/CQ01/0001"
	if err := st.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	// A new process: it sees a hole at 1.
	again := NewFiler(a, st, Options{Inspector: f.in, Numbering: num, Now: f.now})
	other := decisionMeta()
	other.Title, other.DocNumber = "关于东天街片区房屋征收补偿方案的公告", "长征补〔2026〕13号"
	second, err := again.File(ctx, fx.files["unsigned"], other)
	if err != nil || second.Status != StatusFiled {
		t.Fatalf("second: %v %s %q", err, second.Status, second.Reasons)
	}
	if second.Record.ArchivalCode == first.Record.ArchivalCode || !strings.HasSuffix(second.Record.ArchivalCode, "-0002") {
		t.Fatalf("the second filing got %s; the first carries %s", second.Record.ArchivalCode, first.Record.ArchivalCode)
	}
	if holder, err := a.CodeHolder(ctx, first.Record.ArchivalCode); err != nil || holder != first.Record.ID {
		t.Fatalf("%s is carried by %s, %v", first.Record.ArchivalCode, holder, err)
	}
	// The first document filed again is still the one record it was.
	if res, err := again.File(ctx, fx.files["signed"], decisionMeta()); err != nil || res.Status != StatusAlreadyFiled || res.Record.ID != first.Record.ID {
		t.Fatalf("re-run of the first: %v %s %s", err, res.Status, res.Record.ID)
	}
}

// A manual archival code another document holds is refused with its reason,
// and nothing of the document is stored; the same document with its own code
// is already filed.
func TestManualCodeInUse(t *testing.T) {
	for _, num := range []*Numbering{nil, {Fonds: "Z109", Category: "WS", Department: "CQ01"}} {
		t.Run(fmt.Sprintf("numbering %v", num != nil), func(t *testing.T) {
			ctx := context.Background()
			f, a, st := newTestFiler(t, num)
			fx := getFixtures(t)
			code := "Z109-WS·2026-Y-CQ01-0007"
			meta := decisionMeta()
			meta.ArchivalCode = code
			first, err := f.File(ctx, fx.files["signed"], meta)
			if err != nil || first.Status != StatusFiled || first.Record.ArchivalCode != code {
				t.Fatalf("first: %v %s %q", err, first.Status, first.Reasons)
			}
			other := decisionMeta()
			other.Title, other.DocNumber, other.ArchivalCode = "关于东天街片区房屋征收补偿方案的公告", "长征补〔2026〕13号", code
			res, err := f.File(ctx, fx.files["unsigned"], other)
			if err != nil || res.Status != StatusRejected || len(res.Reasons) != 1 || !strings.Contains(res.Reasons[0], "档号已被占用") ||
				!strings.Contains(res.Reasons[0], code) {
				t.Fatalf("second document with %s: %v %s %q", code, err, res.Status, res.Reasons)
			}
			if _, err := st.Stat(ctx, archive.ContentKey(res.Inspection.Content.SHA256)); err == nil {
				t.Errorf("the refused document's content was stored")
			}
			// Another process (or an old archive, where the code has no claim):
			// the record that carries the code refuses it all the same.
			if num != nil {
				if err := st.Delete(ctx, "ingest/numbers/Z109/WS/2026/Y/CQ01/0007"); err != nil {
					t.Fatal(err)
				}
			}
			fresh := NewFiler(a, st, Options{Inspector: f.in, Numbering: num, Now: f.now})
			if res, err := fresh.File(ctx, fx.files["unsigned"], other); err != nil || res.Status != StatusRejected || !strings.Contains(strings.Join(res.Reasons, " "), first.Record.ID) {
				t.Fatalf("without the claim: %v %s %q", err, res.Status, res.Reasons)
			}
			if res, err := fresh.File(ctx, fx.files["signed"], meta); err != nil || res.Status != StatusAlreadyFiled || res.Record.ID != first.Record.ID {
				t.Fatalf("the same document and code again: %v %s", err, res.Status)
			}
			n := 0
			a.Records(ctx, func(archive.Record) error { n++; return nil })
			if n != 1 {
				t.Fatalf("%d records", n)
			}
		})
	}
}

// A number assigned by numbering is refused as a manual code of another
// document; numbering skips a manual code in its class.
func TestManualCodeBesideNumbering(t *testing.T) {
	ctx := context.Background()
	f, _, _ := newTestFiler(t, &Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"})
	fx := getFixtures(t)
	manual := decisionMeta()
	manual.ArchivalCode = "Z109-WS·2026-Y-CQ01-0001"
	if res, err := f.File(ctx, fx.files["signed"], manual); err != nil || res.Status != StatusFiled {
		t.Fatalf("manual: %v %s %q", err, res.Status, res.Reasons)
	}
	other := decisionMeta()
	other.Title, other.DocNumber = "关于东天街片区房屋征收补偿方案的公告", "长征补〔2026〕13号"
	res, err := f.File(ctx, fx.files["unsigned"], other)
	if err != nil || res.Status != StatusFiled || !strings.HasSuffix(res.Record.ArchivalCode, "-0002") {
		t.Fatalf("assigned beside a manual code: %v %s %s", err, res.Status, res.Record.ArchivalCode)
	}
	third := decisionMeta()
	third.Title, third.DocNumber, third.ArchivalCode = "第三份", "长征补〔2026〕14号", res.Record.ArchivalCode
	if res, err := f.File(ctx, fx.files["untrusted"], third); err != nil || res.Status != StatusRejected {
		t.Fatalf("an assigned code given to another document: %v %s", err, res.Status)
	}
}

// A writer that crashed (or hangs) while numbering a filing: before its claim,
// after its claim but before its result, or with a clock a year ahead. The next
// writer of the filing takes its generation over and gives the filing one number:
// the claim already made when there is one, never a second.
func TestNumberingTakeover(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, func() time.Time { return testNow })
			n := Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}
			nb := newNumberer(st, n)
			nb.ttl = 100 * time.Millisecond
			claims := nb.classPrefix(2026, archive.Permanent)
			bindings := bindingPrefix(claims)
			put := func(key, text string) {
				t.Helper()
				if _, err := st.Put(ctx, key, strings.NewReader(text), blob.PutOptions{Size: int64(len(text))}); err != nil {
					t.Fatal(err)
				}
			}
			binding := func(expires time.Time) string {
				return "gongshi filing binding\nholder dead\nexpires " + expires.UTC().Format(time.RFC3339Nano) + "\n"
			}
			assign := func(filing string) string {
				t.Helper()
				code, err := nb.assign(ctx, filing, 2026, archive.Permanent)
				if err != nil {
					t.Fatal(err)
				}
				return code
			}
			// Read the class first: what follows happens behind this writer's back.
			if got := assign("filing-first"); !strings.HasSuffix(got, "-0001") {
				t.Fatalf("first: %s", got)
			}
			// Crashed before its claim, long ago.
			put(bindings+"filing-a.001", binding(time.Now().Add(-time.Hour)))
			if got := assign("filing-a"); !strings.HasSuffix(got, "-0002") {
				t.Fatalf("after a crash before the claim: %s", got)
			}
			// Crashed after its claim, before its result: the claim is adopted.
			put(bindings+"filing-b.001", binding(time.Now().Add(-time.Hour)))
			put(claims+"0003", "filing-b")
			if got := assign("filing-b"); !strings.HasSuffix(got, "-0003") {
				t.Fatalf("after a crash after the claim: %s", got)
			}
			// A writer whose clock runs a year ahead, hung: taken over after this
			// writer watched it for its turn.
			put(bindings+"filing-c.001", binding(time.Now().AddDate(1, 0, 0)))
			if got := assign("filing-c"); !strings.HasSuffix(got, "-0004") {
				t.Fatalf("after a hung writer: %s", got)
			}
			// A live writer that gives its result a moment later: waited for.
			nb.ttl = time.Minute
			put(bindings+"filing-d.001", binding(time.Now().Add(time.Hour)))
			put(claims+"0005", "filing-d")
			go func() {
				time.Sleep(30 * time.Millisecond)
				st.Put(ctx, bindings+"filing-d.n1", strings.NewReader("0005\n"), blob.PutOptions{Size: 5})
			}()
			if got := assign("filing-d"); !strings.HasSuffix(got, "-0005") {
				t.Fatalf("beside a live writer: %s", got)
			}
			var keys []string
			st.List(ctx, "ingest/numbers/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
			if len(keys) != 5 {
				t.Fatalf("claims %v: want one per filing", keys)
			}
			if _, err := st.Stat(ctx, bindings+"filing-d.002"); err == nil {
				t.Fatal("the live writer's filing was taken over")
			}
		})
	}
}

// A writer paused past its turn between its binding and its claim: another
// writer takes the filing over and numbers it; the paused one, back, sees that
// and gives the filing the number the other gave it.
func TestNumberingStaleWriter(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, func() time.Time { return testNow })
			n := Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}
			stale, fresh := newNumberer(st, n), newNumberer(st, n)
			stale.ttl, fresh.ttl = 50*time.Millisecond, 50*time.Millisecond
			paused, resume := make(chan struct{}), make(chan struct{})
			stale.beforeClaim = func(string) { close(paused); <-resume }
			var staleCode string
			var staleErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				staleCode, staleErr = stale.assign(ctx, "filing-x", 2026, archive.Permanent)
			}()
			<-paused
			freshCode, err := fresh.assign(ctx, "filing-x", 2026, archive.Permanent)
			if err != nil {
				t.Fatal(err)
			}
			close(resume)
			<-done
			if staleErr != nil || staleCode != freshCode {
				t.Fatalf("the paused writer got %s (%v), the other %s", staleCode, staleErr, freshCode)
			}
			// A later writer agrees.
			if again, err := newNumberer(st, n).assign(ctx, "filing-x", 2026, archive.Permanent); err != nil || again != freshCode {
				t.Fatalf("a third writer: %s, %v", again, err)
			}
		})
	}
}

// A writer paused past its turn between its binding and its claim, while the
// class moved on: another writer takes the filing over and numbers it; the
// paused one, back, claims nothing (a claim of its own would be a spare number,
// a gap in the class) and gives the filing the other's number. This is what a
// batch starved of CPU for longer than a turn (bindingTTL) did to
// TestNumberingManyWritersOneFiling: 46 claims for 40 filings.
func TestNumberingSlowWriterClaimsNothing(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, func() time.Time { return testNow })
			n := Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}
			slow, fresh := newNumberer(st, n), newNumberer(st, n)
			slow.ttl, fresh.ttl = 50*time.Millisecond, 50*time.Millisecond
			paused, resume := make(chan struct{}), make(chan struct{})
			slow.beforeClaim = func(string) { close(paused); <-resume }
			var slowCode string
			var slowErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				slowCode, slowErr = slow.assign(ctx, "filing-x", 2026, archive.Permanent)
			}()
			<-paused
			// While the slow writer is away: another filing takes number 1, and
			// the other writer takes filing-x over once its turn expired (2).
			if code, err := fresh.assign(ctx, "filing-y", 2026, archive.Permanent); err != nil || !strings.HasSuffix(code, "-0001") {
				t.Fatalf("filing-y: %s, %v", code, err)
			}
			freshCode, err := fresh.assign(ctx, "filing-x", 2026, archive.Permanent)
			if err != nil || !strings.HasSuffix(freshCode, "-0002") {
				t.Fatalf("filing-x taken over: %s, %v", freshCode, err)
			}
			close(resume)
			<-done
			if slowErr != nil || slowCode != freshCode {
				t.Fatalf("the slow writer got %s (%v), the other %s", slowCode, slowErr, freshCode)
			}
			var keys []string
			st.List(ctx, "ingest/numbers/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
			if len(keys) != 2 {
				t.Fatalf("claims %v for 2 filings: the slow writer left a spare number", keys)
			}
		})
	}
}

// A writer killed after its claim and before its result, whose claim this
// writer has seen listed without reading whose it is (it lost a race to a
// number below it and only marked the newer claims taken): taking the killed
// writer's turn over, it finds that claim and gives the filing its number,
// rather than claiming a second one and leaving the first spare (a gap).
// Claims complete out of order, so the claims listed after the last one seen
// are not enough: the writer reads every claim whose owner it does not know.
func TestNumberingTakeoverFindsAClaimSeenUnread(t *testing.T) {
	// A process of this machine that has ended, as a killed batch is.
	ended := exec.Command(os.Args[0], "-test.run=^$")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	dead := holder.New()
	dead.PID = ended.Process.Pid
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, func() time.Time { return testNow })
			n := Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}
			nb := newNumberer(st, n)
			nb.ttl = time.Hour // the dead writer's turn is taken over because it ended, not because it expired
			claims := nb.classPrefix(2026, archive.Permanent)
			bindings := bindingPrefix(claims)
			put := func(key, text string) {
				t.Helper()
				if _, err := st.Put(ctx, key, strings.NewReader(text), blob.PutOptions{Size: int64(len(text))}); err != nil {
					t.Fatal(err)
				}
			}
			assign := func(filing, want string) {
				t.Helper()
				code, err := nb.assign(ctx, filing, 2026, archive.Permanent)
				if err != nil || !strings.HasSuffix(code, want) {
					t.Fatalf("%s: %s, %v; want …%s", filing, code, err, want)
				}
			}
			assign("filing-first", "-0001") // the class is read
			// Behind this writer's back: another writer claims 2; the dead one
			// took filing-k's turn for a year, claimed 3, and was killed.
			put(claims+"0002", "filing-other")
			put(bindings+"filing-k.001", "gongshi filing binding\n"+dead.Lines()+"expires "+time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339Nano)+"\n")
			put(claims+"0003", "filing-k")
			// This writer loses 2 to filing-other, lists 2 and 3 (whose 3 is,
			// it does not read), and claims 4.
			assign("filing-next", "-0004")
			// filing-k: its writer has ended, so the turn is taken over at once,
			// and the claim the dead writer made is the filing's number.
			assign("filing-k", "-0003")
			var keys []string
			st.List(ctx, "ingest/numbers/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
			if len(keys) != 4 {
				t.Fatalf("claims %v for 4 filings: want one each", keys)
			}
			if _, err := st.Stat(ctx, bindings+"filing-k.002"); err != nil {
				t.Fatalf("filing-k was not taken over from its dead writer: %v", err)
			}
		})
	}
}
