package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// The fault-injection suite: an archive filed through ingest (archival numbers
// claimed, every version ledgered), damaged the way a failing disk or an intruder
// with write access to the store would, one fault per case, on each backend. Each
// case says exactly which findings (kind and key) the audit must report; the
// suite also checks what must follow: nothing appended while the ledger is
// damaged, derived objects rebuilt by Repair, and, for what the store alone
// cannot show, the verdict of a checkpoint saved outside it. It logs how many
// cases it tried and caught (go test -v -run TestFaultSuite ./archive/audit/).
// GONGSHI_FAULT_SOAK=N adds N rounds of filings, audits and random faults at once.

const suiteDocs = 5

// suite is one archive to damage: a project (entry 0) and suiteDocs documents
// filed one at a time (entries 1…), each in its own batch with its checkpoint.
type suite struct {
	t       *testing.T
	backend storetest.Backend
	st      blob.Store
	raw     storetest.Raw
	key     ledger.Key
	log     *ledger.Log
	a       *archive.Archive
	filer   *ingest.Filer
	dir     string
	recs    []archive.Record
	bodies  [][]byte
	// snapshot is the keys stored after the first three documents, and saved the
	// latest checkpoint at the end, both kept outside the store.
	snapshot map[string]bool
	saved    []byte
	// now is the audits' clock: an hour after the filings, so nothing is young.
	now time.Time
}

func newSuite(t *testing.T, b storetest.Backend) *suite {
	t.Helper()
	ctx := context.Background()
	st, raw := b.Open(t, testNow)
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/faults")
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{t: t, backend: b, st: st, raw: raw, key: key, dir: t.TempDir(), now: testNow().Add(time.Hour)}
	s.log = ledger.New(st, ledger.Options{Key: key, Versions: true})
	s.a = archive.New(st, archive.Options{Now: testNow, Journal: s.log, TempDir: t.TempDir(), Actor: archive.ActorCLI})
	s.filer = ingest.NewFiler(s.a, st, ingest.Options{Now: testNow,
		Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})
	if _, err := s.a.CreateProject(ctx, archive.Project{Code: "CQ-2024-01", Name: "南关区东天街片区旧城区改建项目",
		City: "长春市", Department: "长春市南关区房屋征收经办中心"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < suiteDocs; i++ {
		s.recs = append(s.recs, s.file(i, ""))
		if i == 2 {
			s.snapshot = s.keys("")
		}
	}
	signed, _, err := s.log.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.saved = signed
	return s
}

// file files document i (a new PDF), with the archival code given or, when "",
// the next one; it returns the stored record.
func (s *suite) file(i int, code string) archive.Record {
	s.t.Helper()
	body := pdftest.Document(pdftest.Options{Pages: 1, Title: fmt.Sprintf("征收决定 %d", i)})
	path := filepath.Join(s.dir, fmt.Sprintf("决定-%d.pdf", i))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		s.t.Fatal(err)
	}
	res, err := s.filer.File(context.Background(), path, archive.Record{Project: "CQ-2024-01", Type: "decision",
		Title: fmt.Sprintf("关于东天街片区房屋征收的决定（第%d号）", i), DocNumber: fmt.Sprintf("长征补〔2024〕%d号", i+1),
		Issuer: "长春市南关区人民政府", Date: archive.D(2024, time.March, 15), ArchivalCode: code})
	if err != nil || res.Status != ingest.StatusFiled {
		s.t.Fatalf("filing %d: %v %v %v", i, res.Status, res.Reasons, err)
	}
	s.bodies = append(s.bodies, body)
	return res.Record
}

func (s *suite) keys(prefix string) map[string]bool {
	s.t.Helper()
	out := map[string]bool{}
	if err := s.st.List(context.Background(), prefix, "", func(i blob.Info) error { out[i.Key] = true; return nil }); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *suite) sorted(prefix string) []string {
	return slices.Sorted(mapKeys(s.keys(prefix)))
}

func (s *suite) read(key string) []byte { return storetest.Read(s.t, s.st, key) }

// put stores an object through the store's own interface, as an intruder with
// the store's credentials would (so that the backend can remove it again).
func (s *suite) put(key string, b []byte) {
	s.t.Helper()
	if _, err := s.st.Put(context.Background(), key, bytes.NewReader(b), blob.PutOptions{Size: int64(len(b))}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *suite) flip(key string, at int) {
	s.t.Helper()
	b := s.read(key)
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 0x01
	s.raw.Overwrite(s.t, key, b)
}

func (s *suite) audit(edit func(*Options)) Report {
	s.t.Helper()
	o := Options{Store: s.st, Archive: s.a, Ledger: ledger.New(s.st, ledger.Options{Key: s.key, Versions: true}),
		Now: func() time.Time { return s.now }, Workers: 3}
	if edit != nil {
		edit(&o)
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

func (s *suite) size() int64 {
	_, cp, err := ledger.New(s.st, ledger.Options{Key: s.key}).Latest(context.Background())
	if err != nil {
		return -1
	}
	return cp.Size
}

// Keys of the fixture's objects.
func batchAt(n int64) string      { return fmt.Sprintf("ledger/batch/%013d/%016d", n/1000, n) }
func checkpointAt(n int64) string { return fmt.Sprintf("ledger/checkpoint/%013d/%016d", n/1000, n) }
func tileWidth(w int) string      { return "ledger/tile/0/000.p/" + strconv.Itoa(w) }
func recordKey(r archive.Record) string {
	return archive.RecordVersionKey(r.ID, r.Version)
}
func contentKey(r archive.Record) string { return archive.ContentKey(r.Content.SHA256) }
func markerKey(r archive.Record) string  { return archive.ContentMarkerKey(r.Content.SHA256, r.ID) }
func (s *suite) lookupKey(r archive.Record) string {
	for k := range s.keys("ledger/by-record/") {
		if strings.Contains(k, r.ID+".000001.file.") {
			return k
		}
	}
	s.t.Fatalf("no lookup key of %s", r.ID)
	return ""
}
func codeMarkerOf(r archive.Record) string {
	k, _ := archive.CodeMarkerKey(r.ArchivalCode)
	return k
}
func claimOf(r archive.Record) string {
	c, _ := archive.ParseArchivalCode(r.ArchivalCode)
	return claimKey(c)
}

// entry i of the fixture is in batch i (each version appended alone): the
// project's is 0, document k's is k+1.
func (s *suite) entry(i int64) archive.Event {
	s.t.Helper()
	b := s.read(batchAt(i))
	ev, err := ledger.ParseEntry(b[2:])
	if err != nil {
		s.t.Fatal(err)
	}
	return ev
}

func batchOf(texts ...[]byte) []byte {
	var b []byte
	for _, t := range texts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
		b = append(b, t...)
	}
	return b
}

// intruder returns a log, on a scratch store, of the fixture's events with the
// entry of document 1 changed and signed with the fixture's key: what someone
// holding the key makes to rewrite history.
func (s *suite) intruder() blob.Store {
	s.t.Helper()
	ctx := context.Background()
	scratch, _ := storetest.Backends()[0].Open(s.t, testNow)
	l := ledger.New(scratch, ledger.Options{Key: s.key})
	for i := int64(0); i < s.size(); i++ {
		ev := s.entry(i)
		if i == 2 {
			ev.Content.SM3[0] ^= 1
		}
		if _, err := l.Append(ctx, ev); err != nil {
			s.t.Fatal(err)
		}
	}
	return scratch
}

// table attaches a household table (a CSV content object and a ledgered version
// of subject table that names it) to record rec, as the households package does,
// and returns the content's key.
func (s *suite) table(rec archive.Record) string {
	s.t.Helper()
	ctx := context.Background()
	csv := []byte("户号,姓名,面积\n0001,张某某,86.5\n0002,李某某,92.0\n")
	d, err := s.a.PutContent(ctx, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		s.t.Fatal(err)
	}
	if err := blob.Sync(ctx, s.st); err != nil {
		s.t.Fatal(err)
	}
	b, err := archive.EncodeTable(archive.Table{Record: rec.ID, Version: 1, RecordVersion: 1, Content: d, Encoding: "utf-8",
		Key: "户号", Rows: 2, MaskRule: "test", At: testNow(), Actor: archive.ActorCLI})
	if err != nil {
		s.t.Fatal(err)
	}
	s.put(archive.VersionKey(archive.SubjectTable, rec.ID, 1), b)
	if _, err := s.log.Append(ctx, archive.Event{Kind: archive.EventCreate, Subject: archive.SubjectTable, SubjectID: rec.ID, Version: 1,
		RecordDigest: sha256.Sum256(b), Actor: archive.ActorCLI, Time: testNow()}); err != nil {
		s.t.Fatal(err)
	}
	return archive.ContentKey(d.SHA256)
}

type want struct{ kind, key string }

// fault is one case of the suite.
type fault struct {
	name string
	// do damages the archive and returns the findings the audit must report,
	// exactly.
	do func(s *suite) []want
	// derived: Repair rebuilds all of it and the next audit is clean.
	derived bool
	// blocks: the ledger is damaged, so the audit appends nothing and the
	// ledger refuses appends.
	blocks bool
	// outside: the store alone cannot tell; a checkpoint saved outside it can.
	outside bool
	// s3only: the fault needs a store that keeps every version of a key.
	s3only bool
}

func faults() []fault {
	r := func(s *suite, i int) archive.Record { return s.recs[i] }
	return []fault{
		// Content.
		{name: "content: one byte flipped", do: func(s *suite) []want {
			s.flip(contentKey(r(s, 1)), 100)
			return []want{{ContentDamaged, contentKey(r(s, 1))}}
		}},
		{name: "content: deleted", do: func(s *suite) []want {
			s.raw.Remove(s.t, contentKey(r(s, 2)))
			return []want{{ContentMissing, contentKey(r(s, 2))}}
		}},
		{name: "content: replaced by other bytes of the same length", do: func(s *suite) []want {
			b := make([]byte, len(s.bodies[3]))
			rand.Read(b)
			s.raw.Overwrite(s.t, contentKey(r(s, 3)), b)
			return []want{{ContentDamaged, contentKey(r(s, 3))}}
		}},
		// Record versions.
		{name: "record version: deleted", do: func(s *suite) []want {
			s.raw.Remove(s.t, recordKey(r(s, 3)))
			return []want{{RecordMissing, recordKey(r(s, 3))}}
		}},
		{name: "record version: one byte flipped", do: func(s *suite) []want {
			s.flip(recordKey(r(s, 0)), 40)
			return []want{{RecordAltered, recordKey(r(s, 0))}}
		}},
		{name: "record version: replaced by a valid one with another title", do: func(s *suite) []want {
			rec := r(s, 1)
			rec.Title = "关于东天街片区房屋征收的决定（已改）"
			b, _ := archive.EncodeRecord(rec)
			s.raw.Overwrite(s.t, recordKey(r(s, 1)), b)
			return []want{{RecordAltered, recordKey(r(s, 1))}}
		}},
		{name: "record version: forged (never filed)", do: func(s *suite) []want {
			rec := r(s, 0)
			rec.Title, rec.ArchivalCode = "伪造的决定", ""
			rec.ID, _ = archive.RecordID(rec)
			b, _ := archive.EncodeRecord(rec)
			s.put(recordKey(rec), b)
			return []want{{NotInLedger, recordKey(rec)}, {MarkerMissing, markerKey(rec)}}
		}},
		{name: "record version: a forged correction (version 2)", do: func(s *suite) []want {
			rec := r(s, 0)
			rec.Version, rec.Title = 2, "关于东天街片区房屋征收的决定（伪造的更正）"
			rec.Supersedes = &archive.Supersedes{Version: 1, Reason: "伪造"}
			b, _ := archive.EncodeRecord(rec)
			s.put(recordKey(rec), b)
			return []want{{NotInLedger, recordKey(rec)}}
		}},
		// Project versions.
		{name: "project version: one byte flipped", do: func(s *suite) []want {
			key := archive.VersionKey(archive.SubjectProject, "CQ-2024-01", 1)
			s.flip(key, 30)
			return []want{{ProjectAltered, key}}
		}},
		{name: "project version: forged version 2", do: func(s *suite) []want {
			p, err := s.a.Project(context.Background(), "CQ-2024-01")
			if err != nil {
				s.t.Fatal(err)
			}
			p.Version, p.Name = 2, "伪造的项目名称"
			p.Supersedes = &archive.Supersedes{Version: 1, Reason: "伪造"}
			b, _ := archive.EncodeProject(p)
			key := archive.VersionKey(archive.SubjectProject, "CQ-2024-01", 2)
			s.put(key, b)
			return []want{{ProjectNotInLedger, key}}
		}},
		{name: "project version: deleted", do: func(s *suite) []want {
			key := archive.VersionKey(archive.SubjectProject, "CQ-2024-01", 1)
			s.raw.Remove(s.t, key)
			return []want{{ProjectMissing, key}}
		}},
		{name: "publication: forged (published without a ledger entry)", do: func(s *suite) []want {
			key := archive.VersionKey(archive.SubjectPublication, r(s, 0).ID, 1)
			s.put(key, []byte(`{"schema":1,"record":"`+r(s, 0).ID+`","version":1,"status":"published"}`))
			return []want{{SubjectNotInLedger(archive.SubjectPublication), key}}
		}},
		{name: "any object: a newer version written around Gongshi (versioned store)", s3only: true, do: func(s *suite) []want {
			key := contentKey(r(s, 2))
			s.raw.(storetest.Versions).AddVersion(s.t, key, []byte("%PDF-1.7\n% not the document\n%%EOF\n"))
			return []want{{ObjectOverwritten, key}}
		}},
		{name: "household table: its content (the CSV) flipped", do: func(s *suite) []want {
			key := s.table(r(s, 0))
			s.flip(key, 3)
			return []want{{ContentDamaged, key}}
		}},
		// Ledger batches: authoritative.
		{name: "ledger: a batch deleted", blocks: true, do: func(s *suite) []want {
			s.raw.Remove(s.t, batchAt(3))
			return []want{{ledger.BatchMissing, batchAt(3)}}
		}},
		{name: "ledger: every batch deleted", blocks: true, do: func(s *suite) []want {
			for _, k := range s.sorted("ledger/batch/") {
				s.raw.Remove(s.t, k)
			}
			return []want{{ledger.BatchMissing, batchAt(0)}}
		}},
		{name: "ledger: junk after a batch", blocks: true, do: func(s *suite) []want {
			b := s.read(batchAt(2))
			s.raw.Overwrite(s.t, batchAt(2), append(b, "junk"...))
			return []want{{ledger.BatchAltered, batchAt(2)}}
		}},
		{name: "ledger: an entry replaced", blocks: true, do: func(s *suite) []want {
			ev := s.entry(2)
			ev.Content.SM3[0] ^= 1
			text, _ := ledger.FormatEntry(ev)
			s.raw.Overwrite(s.t, batchAt(2), batchOf(text))
			return []want{{ledger.EntryAltered, "ledger entry 2"}}
		}},
		{name: "ledger: an entry replaced and the tile that covers it", blocks: true, do: func(s *suite) []want {
			ev := s.entry(2)
			ev.Content.SM3[0] ^= 1
			text, _ := ledger.FormatEntry(ev)
			s.raw.Overwrite(s.t, batchAt(2), batchOf(text))
			s.flip(tileWidth(suiteDocs+1), 2*32+5)
			return []want{{ledger.BatchAltered, batchAt(2)}}
		}},
		{name: "ledger: an object under ledger/batch/ that is no batch", blocks: true, do: func(s *suite) []want {
			s.put("ledger/batch/extra", []byte("junk"))
			return []want{{ledger.BatchExtra, "ledger/batch/extra"}}
		}},
		{name: "ledger: a batch forged at the end (no checkpoint)", blocks: true, do: func(s *suite) []want {
			forged := archive.Event{Kind: archive.EventFile, RecordID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Version: 1,
				Content: r(s, 0).Content, Time: testNow()}
			text, _ := ledger.FormatEntry(forged)
			n := int64(suiteDocs + 1)
			s.put(batchAt(n), batchOf(text))
			return []want{{ledger.BatchExtra, batchAt(n)}, {RecordMissing, archive.RecordVersionKey(forged.RecordID, 1)}}
		}},
		// Checkpoints: authoritative.
		{name: "checkpoint: one deleted", blocks: true, do: func(s *suite) []want {
			s.raw.Remove(s.t, checkpointAt(3))
			return []want{{ledger.CheckpointMissing, checkpointAt(3)}}
		}},
		{name: "checkpoint: the whole folder deleted", blocks: true, do: func(s *suite) []want {
			var w []want
			for _, k := range s.sorted("ledger/checkpoint/") {
				s.raw.Remove(s.t, k)
				w = append(w, want{ledger.CheckpointMissing, k})
			}
			return w
		}},
		{name: "checkpoint: the latest deleted (signed again, the same, by the next append)", do: func(s *suite) []want {
			n := int64(suiteDocs + 1)
			s.raw.Remove(s.t, checkpointAt(n))
			return []want{{ledger.CheckpointMissing, checkpointAt(n)}}
		}},
		{name: "checkpoint: a byte of its signature flipped", blocks: true, do: func(s *suite) []want {
			s.flip(checkpointAt(3), -10)
			return []want{{ledger.CheckpointAltered, checkpointAt(3)}}
		}},
		{name: "checkpoint: replaced by one signed with another key", blocks: true, do: func(s *suite) []want {
			other, err := ledger.GenerateKeyFile(filepath.Join(s.t.TempDir(), "other.key"), "gongshi.example/faults")
			if err != nil {
				s.t.Fatal(err)
			}
			cp, err := ledger.OpenCheckpoint(s.read(checkpointAt(4)), s.key.Verifier)
			if err != nil {
				s.t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: cp.Text()}, other.Signer)
			if err != nil {
				s.t.Fatal(err)
			}
			s.raw.Overwrite(s.t, checkpointAt(4), signed)
			return []want{{ledger.CheckpointForged, checkpointAt(4)}}
		}},
		{name: "checkpoint: an old one under a new name", blocks: true, do: func(s *suite) []want {
			n := int64(suiteDocs + 1)
			s.raw.Overwrite(s.t, checkpointAt(n), s.read(checkpointAt(n-1)))
			return []want{{ledger.CheckpointMisnamed, checkpointAt(n)}}
		}},
		{name: "checkpoint: the latest re-signed over a rewritten entry (key holder)", blocks: true, do: func(s *suite) []want {
			scratch := s.intruder()
			n := int64(suiteDocs + 1)
			storetest.Copy(s.t, scratch, s.st, s.raw, batchAt(2))
			storetest.Copy(s.t, scratch, s.st, s.raw, checkpointAt(n))
			storetest.Copy(s.t, scratch, s.st, s.raw, tileWidth(int(n)))
			w := []want{{RecordAltered, recordKey(r(s, 1))}}
			for k := int64(3); k < n; k++ {
				w = append(w, want{ledger.CheckpointInconsistent, checkpointAt(k)}, want{ledger.TileAltered, tileWidth(int(k))})
			}
			return w
		}},
		{name: "history: the whole ledger rewritten and re-signed (key holder)", outside: true, do: func(s *suite) []want {
			storetest.Copy(s.t, s.intruder(), s.st, s.raw, "ledger/")
			return []want{{RecordAltered, recordKey(r(s, 1))}}
		}},
		{name: "history: the whole store rolled back to an earlier copy", outside: true, do: func(s *suite) []want {
			for k := range s.keys("") {
				if !s.snapshot[k] {
					s.raw.Remove(s.t, k)
				}
			}
			return nil
		}},
		// Tiles: derived.
		{name: "tile: one byte flipped", derived: true, do: func(s *suite) []want {
			s.flip(tileWidth(suiteDocs+1), 5)
			return []want{{ledger.TileAltered, tileWidth(suiteDocs + 1)}}
		}},
		{name: "tile: replaced by random bytes", derived: true, do: func(s *suite) []want {
			b := make([]byte, 32*(suiteDocs+1))
			rand.Read(b)
			s.raw.Overwrite(s.t, tileWidth(suiteDocs+1), b)
			return []want{{ledger.TileAltered, tileWidth(suiteDocs + 1)}}
		}},
		{name: "tile: deleted", derived: true, do: func(s *suite) []want {
			s.raw.Remove(s.t, tileWidth(suiteDocs+1))
			return []want{{ledger.TileMissing, tileWidth(suiteDocs + 1)}}
		}},
		{name: "tile: an object under ledger/tile/ that is no tile", derived: true, do: func(s *suite) []want {
			s.put("ledger/tile/junk", []byte("junk"))
			return []want{{ledger.TileExtra, "ledger/tile/junk"}}
		}},
		// Lookup keys: derived.
		{name: "lookup key: deleted", derived: true, do: func(s *suite) []want {
			k := s.lookupKey(r(s, 0))
			s.raw.Remove(s.t, k)
			return []want{{ledger.LookupKeyMissing, k}}
		}},
		{name: "lookup key: pointing at another entry", derived: true, do: func(s *suite) []want {
			k := s.lookupKey(r(s, 0))
			s.raw.Overwrite(s.t, k, []byte("5 5\n"))
			return []want{{ledger.LookupKeyAltered, k}}
		}},
		{name: "lookup key: forged for no entry", derived: true, do: func(s *suite) []want {
			k := strings.Replace(s.lookupKey(r(s, 0)), ".file.", ".publish.", 1)
			s.put(k, []byte("1 1\n"))
			return []want{{ledger.LookupKeyExtra, k}}
		}},
		// Content markers: derived.
		{name: "content marker: deleted", derived: true, do: func(s *suite) []want {
			s.raw.Remove(s.t, markerKey(r(s, 0)))
			return []want{{MarkerMissing, markerKey(r(s, 0))}}
		}},
		{name: "content marker: forged (names a record of other content)", derived: true, do: func(s *suite) []want {
			k := archive.ContentMarkerKey(r(s, 0).Content.SHA256, r(s, 1).ID)
			s.put(k, []byte(r(s, 1).ID+"\n"))
			return []want{{MarkerExtra, k}}
		}},
		// Archival-code markers: derived.
		{name: "archival-code marker: deleted", derived: true, do: func(s *suite) []want {
			k := codeMarkerOf(r(s, 1))
			s.raw.Remove(s.t, k)
			return []want{{CodeMarkerMissing, k}}
		}},
		{name: "archival-code marker: naming another record", derived: true, do: func(s *suite) []want {
			k := codeMarkerOf(r(s, 1))
			s.raw.Overwrite(s.t, k, []byte(r(s, 2).ID+"\n"))
			return []want{{CodeMarkerAltered, k}}
		}},
		{name: "archival-code marker: forged for a code no record carries", derived: true, do: func(s *suite) []want {
			code := r(s, 0).ArchivalCode
			k, _ := archive.CodeMarkerKey(code[:len(code)-4] + "0077")
			s.put(k, []byte(r(s, 0).ID+"\n"))
			return []want{{CodeMarkerExtra, k}}
		}},
		// Archival numbers.
		// A filing's claim and bindings deleted: filed again, the document is
		// already filed under its one code (its record says which), nothing
		// is left to find.
		{name: "number claim and filing bindings: deleted, and the document filed again", do: func(s *suite) []want {
			s.raw.Remove(s.t, claimOf(r(s, 2)))
			for k := range s.keys("ingest/filings/") {
				s.raw.Remove(s.t, k)
			}
			s.filer = ingest.NewFiler(s.a, s.st, ingest.Options{Now: testNow, // a new process
				Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})
			path := filepath.Join(s.dir, "决定-2.pdf")
			rec := r(s, 2)
			res, err := s.filer.File(context.Background(), path, archive.Record{Project: rec.Project, Type: rec.Type,
				Title: rec.Title, DocNumber: rec.DocNumber, Issuer: rec.Issuer, Date: rec.Date})
			if err != nil || res.Status != ingest.StatusAlreadyFiled || res.Record.ID != rec.ID {
				s.t.Fatalf("filed again: %v %s %s %v %v; want already filed as %s %s", res.Status, res.Record.ID, res.Record.ArchivalCode, res.Reasons, err, rec.ID, rec.ArchivalCode)
			}
			return nil
		}},
		{name: "number claim: deleted", do: func(s *suite) []want {
			s.raw.Remove(s.t, claimOf(r(s, 2)))
			return []want{{ClaimMissing, claimOf(r(s, 2))}}
		}},
		{name: "number claim: deleted, and its number handed out again", do: func(s *suite) []want {
			s.raw.Remove(s.t, claimOf(r(s, 2)))
			s.filer = ingest.NewFiler(s.a, s.st, ingest.Options{Now: testNow, // a new process
				Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})
			// The hole is handed out and claimed again, and the archive refuses
			// the number for the new filing (document 2's record carries it),
			// which takes the next one: the claim now holds another filing.
			again := s.file(suiteDocs, "")
			if again.ArchivalCode == r(s, 2).ArchivalCode {
				s.t.Fatalf("the new filing got %s, which document 2 carries", again.ArchivalCode)
			}
			return []want{{ClaimAltered, claimOf(r(s, 2))}}
		}},
		{name: "number claim: changed to name another filing", do: func(s *suite) []want {
			s.raw.Overwrite(s.t, claimOf(r(s, 1)), []byte("zzzzzzzzzzzzzzzzzzzzzzzzzz"))
			return []want{{ClaimAltered, claimOf(r(s, 1))}}
		}},
		{name: "archival code: a code in use given again by hand", do: func(s *suite) []want {
			dup := r(s, 0)
			dup.ID, dup.Title, dup.DocNumber = "", "另一份决定", "长征补〔2024〕90号"
			dup.Report, dup.Signatures = nil, nil
			// The archive refuses it while the code's marker is there; with the
			// marker deleted behind its back, it is stored, and the audit names it.
			if _, err := s.a.CreateRecord(context.Background(), dup); !errors.Is(err, archive.ErrCodeInUse) {
				s.t.Fatalf("a second record with %s: %v, want ErrCodeInUse", dup.ArchivalCode, err)
			}
			marker, _ := archive.CodeMarkerKey(dup.ArchivalCode)
			s.raw.Remove(s.t, marker)
			rec, err := s.a.CreateRecord(context.Background(), dup)
			if err != nil {
				s.t.Fatal(err)
			}
			return []want{{CodeDuplicate, recordKey(rec)}}
		}},
		{name: "archival code: a filed document filed again under a second code", do: func(s *suite) []want {
			dup := r(s, 0)
			dup.ID, dup.Report, dup.Signatures = "", nil, nil
			dup.ArchivalCode = dup.ArchivalCode[:len(dup.ArchivalCode)-4] + "0090" // a number no record has
			rec, err := s.a.CreateRecord(context.Background(), dup)
			if err != nil {
				s.t.Fatal(err)
			}
			return []want{{FilingDuplicate, recordKey(rec)}}
		}},
	}
}

// TestFaultSuite runs every fault on every backend and says how many were caught.
func TestFaultSuite(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			tried, caught := 0, 0
			for _, c := range faults() {
				if c.s3only && b.Name != "s3" {
					continue
				}
				done := false
				t.Run(c.name, func(t *testing.T) {
					s := newSuite(t, b) // skips when the backend is not there
					tried++
					runFault(t, s, c)
					done = !t.Failed()
				})
				if done {
					caught++
				}
			}
			if tried == 0 {
				t.Skip("backend not available")
			}
			t.Logf("fault suite (%s): %d cases tried, %d caught, in %s", b.Name, tried, caught, time.Since(start).Round(time.Second))
		})
	}
}

func runFault(t *testing.T, s *suite, c fault) {
	before := s.size()
	wants := c.do(s)
	rep := s.audit(nil)
	var got []want
	for _, f := range rep.Failures {
		got = append(got, want{f.Kind, f.Key})
	}
	sortWants(got)
	sortWants(wants)
	if !slices.Equal(got, wants) {
		t.Fatalf("findings\n  %v\nwant exactly\n  %v\n(in flight %v, unconfirmed %v)", got, wants, rep.InFlight, rep.Unconfirmed)
	}
	if len(wants) > 0 && rep.OK {
		t.Fatal("the report says OK")
	}
	for _, f := range rep.Failures {
		if f.Want == "" {
			t.Errorf("%s %s: no word on what it should be", f.Kind, f.Key)
		}
	}
	ctx := context.Background()
	probe := archive.Event{Kind: archive.EventFixityFailure, RecordID: s.recs[4].ID, Version: 1, Content: s.recs[4].Content, Time: s.now.Add(time.Minute)}
	switch {
	case c.blocks:
		if !rep.LedgerDamaged || rep.DamageNotice == "" {
			t.Errorf("ledger damaged %v, notice %q: want a damage notice", rep.LedgerDamaged, rep.DamageNotice)
		}
		for _, f := range rep.Failures {
			if f.LedgerIndex != nil {
				t.Errorf("%s %s was appended to the damaged ledger", f.Kind, f.Key)
			}
		}
		if after := s.size(); after > before {
			t.Errorf("the damaged ledger grew from %d to %d entries", before, after)
		}
		if _, err := ledger.New(s.st, ledger.Options{Key: s.key, Versions: true}).Append(ctx, probe); !errors.Is(err, ledger.ErrDamaged) {
			t.Errorf("an append to the damaged ledger: %v, want ErrDamaged", err)
		}
	case c.derived:
		if rep.LedgerDamaged {
			t.Error("a derived object's damage stopped the ledger")
		}
		fixed := s.audit(func(o *Options) { o.Repair = true })
		if !fixed.OK || len(fixed.Repairs) != len(wants) {
			t.Fatalf("repair: ok %v, repairs %v, errors %v", fixed.OK, fixed.Repairs, fixed.RepairErrors)
		}
		if again := s.audit(nil); !again.OK {
			t.Fatalf("after the repair: %+v", again.Failures)
		}
	case c.outside:
		old, err := ledger.OpenCheckpoint(s.saved, s.key.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		l := ledger.New(s.st, ledger.Options{Key: ledger.Key{Verifier: s.key.Verifier}})
		_, now, proof, err := l.ProveConsistency(ctx, old.Size)
		if err == nil {
			err = ledger.CheckConsistency(old, now, proof)
		}
		if !errors.Is(err, ledger.ErrNotVerified) {
			t.Fatalf("the checkpoint saved outside the store: %v, want not verified", err)
		}
		t.Logf("caught outside the store: %v", err)
	default:
		for _, f := range rep.Failures {
			if f.event != nil && f.LedgerIndex == nil {
				t.Errorf("%s %s: not recorded in the ledger (%s)", f.Kind, f.Key, rep.LedgerError)
			}
		}
		if _, err := ledger.New(s.st, ledger.Options{Key: s.key, Versions: true}).Append(ctx, probe); err != nil {
			t.Errorf("append after a fault that does not stop the ledger: %v", err)
		}
	}
}

func sortWants(w []want) {
	sort.Slice(w, func(i, j int) bool { return w[i].kind+" "+w[i].key < w[j].kind+" "+w[j].key })
}

// Writers file while audits run and the archive is damaged under them: each
// audit reports the damage done before it looked and nothing else, appends no
// false event, and no filing fails. GONGSHI_FAULT_SOAK=N runs N rounds.
func TestFaultsBesideWriters(t *testing.T) {
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("GONGSHI_FAULT_SOAK")); err == nil && n > 0 {
		rounds = n
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for round := 0; round < rounds; round++ {
				besideRound(t, b, round)
			}
		})
	}
}

func besideRound(t *testing.T, b storetest.Backend, round int) {
	ctx := context.Background()
	f := newFixtureAt(t, b, 4, time.Now)
	victim := f.records[round%4]
	key := archive.ContentKey(victim.Content.SHA256)
	w := newWriter(t, f)
	var wg sync.WaitGroup
	var ferr error
	var mu sync.Mutex
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 15; n++ {
				if err := w.file(ctx, fmt.Sprintf("round%d-g%d", round, g), n); err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
				}
			}
		}()
	}
	damaged := bytes.Clone(f.content[round%4])
	damaged[len(damaged)/2] ^= 0x04
	f.raw.Overwrite(t, key, damaged)
	audit := func() Report {
		rep, err := Run(ctx, Options{Store: f.st, Archive: newWriter(t, f).a, Ledger: ledger.New(f.st, ledger.Options{Key: f.key}), Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for i := 0; i < 3; i++ {
		rep := audit()
		if rep.LedgerError != "" {
			t.Fatalf("round %d, audit %d: the failure could not be recorded: %s", round, i, rep.LedgerError)
		}
		if len(rep.Failures) != 1 || rep.Failures[0].Kind != ContentDamaged || rep.Failures[0].Key != key {
			t.Fatalf("round %d, audit %d beside the writers: %+v, want only %s damaged", round, i, rep.Failures, key)
		}
	}
	wg.Wait()
	if ferr != nil {
		t.Fatalf("a filing failed beside the audits: %v", ferr)
	}
	// One fixity event per audit for the victim, none for anything else.
	var events int
	err := f.log.Entries(ctx, func(_ int64, text []byte) error {
		if ev, err := ledger.ParseEntry(text); err == nil && ev.Kind == archive.EventFixityFailure {
			if ev.RecordID != victim.ID {
				t.Errorf("a fixity event for %s, which is whole", ev.RecordID)
			}
			events++
		}
		return nil
	})
	if err != nil || events != 3 {
		t.Fatalf("%d fixity events (%v), want 3", events, err)
	}
}
