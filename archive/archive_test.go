package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

func TestProjectCreateListShow(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)

	if ps, err := a.Projects(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("empty archive: %v, %v", ps, err)
	}
	created, err := a.CreateProject(ctx, testProject())
	if err != nil {
		t.Fatal(err)
	}
	if created.Version != 1 || !created.CreatedAt.Equal(testNow()) || !created.UpdatedAt.Equal(testNow()) {
		t.Errorf("created = %+v", created)
	}
	if _, err := a.CreateProject(ctx, testProject()); !errors.Is(err, ErrProjectExists) {
		t.Errorf("second create: %v, want ErrProjectExists", err)
	}
	bad := testProject()
	bad.Code, bad.Name = "cq-1", ""
	if _, err := a.CreateProject(ctx, bad); problemFields(t, err) == nil {
		t.Errorf("invalid project: %v", err)
	}
	// Codes that sort around the first one, to check that listing groups by code.
	for _, code := range []string{"CQ-2024", "CQ-2024-01-A", "CQ-2024-02", "AB"} {
		p := testProject()
		p.Code = code
		if _, err := a.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.Project(ctx, "CQ-2024-01")
	if err != nil || !reflect.DeepEqual(got, created) {
		t.Fatalf("Project = %+v, %v\nwant %+v", got, err, created)
	}
	if _, err := a.Project(ctx, "NOPE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing project: %v", err)
	}
	if _, err := a.Project(ctx, "../x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ill-formed code: %v", err)
	}

	// A correction, then a stale one.
	fix := created
	fix.Households = 315
	v2, err := a.CorrectProject(ctx, "CQ-2024-01", 1, fix, "户数核实后更正")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Supersedes == nil || v2.Supersedes.Version != 1 || !v2.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("v2 = %+v", v2)
	}
	if _, err := a.CorrectProject(ctx, "CQ-2024-01", 1, fix, "again"); !errors.Is(err, ErrVersionExists) {
		t.Errorf("stale correction: %v, want ErrVersionExists", err)
	}
	if _, err := a.CorrectProject(ctx, "CQ-2024-01", 2, fix, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("correction without reason: %v", err)
	}
	moved := fix
	moved.Code = "CQ-2024-02"
	if _, err := a.CorrectProject(ctx, "CQ-2024-01", 2, moved, "rename"); !errors.Is(err, ErrInvalid) {
		t.Errorf("code change: %v", err)
	}

	list, err := a.Projects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, p := range list {
		codes = append(codes, p.Code)
		if p.Code == "CQ-2024-01" && p.Version != 2 {
			t.Errorf("list shows version %d, want the latest, 2", p.Version)
		}
	}
	if want := "AB CQ-2024 CQ-2024-01 CQ-2024-01-A CQ-2024-02"; strings.Join(codes, " ") != want {
		t.Errorf("Projects = %v, want %s", codes, want)
	}
	vs, err := a.ProjectVersions(ctx, "CQ-2024-01")
	if err != nil || len(vs) != 2 || vs[1].Households != 315 {
		t.Errorf("ProjectVersions = %+v, %v", vs, err)
	}
}

func TestContentDedupe(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	data := bytes.Repeat([]byte("征收补偿方案 "), 60000) // > 1 MiB: several parallel chunks, looked for before a put
	want := oneShot(data)

	d1, err := a.PutContent(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil || d1 != want {
		t.Fatalf("PutContent = %+v, %v", d1, err)
	}
	d2, err := a.PutContent(ctx, bytes.NewReader(data), -1) // again, size unknown
	if err != nil || d2 != want {
		t.Fatalf("second PutContent = %+v, %v", d2, err)
	}
	// Known digests of stored content: the reader is not even read.
	if err := a.PutContentKnown(ctx, want, iotestErrReader{}); err != nil {
		t.Fatalf("PutContentKnown of stored content: %v", err)
	}
	n := 0
	if err := a.store.List(ctx, "blobs/", "", func(blob.Info) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d objects stored, want 1 (%v)", n, err)
	}
	rc, err := a.OpenContent(ctx, want.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(back, data) {
		t.Error("content read back differs")
	}
	if ok, err := a.HasContent(ctx, want); !ok || err != nil {
		t.Errorf("HasContent = %v, %v", ok, err)
	}
	wrongSize := want
	wrongSize.Size++
	if _, err := a.HasContent(ctx, wrongSize); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("HasContent with a wrong size: %v", err)
	}
	if _, err := a.OpenContent(ctx, Hash{1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenContent of nothing: %v", err)
	}
}

// TestContentDedupeSmall: small content is put without looking first; the
// duplicate is refused by create-once and still reported as stored.
func TestContentDedupeSmall(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	data := []byte("关于东天街片区房屋征收的决定")
	want := oneShot(data)
	for i := range 3 {
		if err := a.PutContentDigested(ctx, want, bytes.NewReader(data)); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	wrong := want
	wrong.Size++
	if err := a.PutContentDigested(ctx, wrong, bytes.NewReader(append(data, 'x'))); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("put with the stored SHA-256 but another size: %v, want ErrDigestMismatch", err)
	}
	n := 0
	if err := a.store.List(ctx, "blobs/", "", func(blob.Info) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d objects stored, want 1 (%v)", n, err)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

func TestContentMismatch(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	data := []byte("一份文件")
	d := oneShot(data)
	other := oneShot([]byte("另一份文件"))

	tests := []struct {
		name string
		run  func() error
	}{
		{"declared size too small", func() error {
			_, err := a.PutContent(ctx, bytes.NewReader(data), int64(len(data)-1))
			return err
		}},
		{"declared size too large", func() error {
			_, err := a.PutContent(ctx, bytes.NewReader(data), int64(len(data)+1))
			return err
		}},
		{"wrong SHA-256", func() error {
			bad := d
			bad.SHA256 = other.SHA256
			return a.PutContentKnown(ctx, bad, bytes.NewReader(data))
		}},
		{"wrong size", func() error {
			bad := d
			bad.Size++
			return a.PutContentKnown(ctx, bad, bytes.NewReader(data))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("err = %v, want ErrDigestMismatch", err)
			}
		})
	}
	n := 0
	a.store.List(ctx, "blobs/", "", func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d objects stored after mismatches, want 0", n)
	}
	// A wrong SM3 is found on the same read; the object itself is right.
	bad := d
	bad.SM3 = other.SM3
	if err := a.PutContentKnown(ctx, bad, bytes.NewReader(data)); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("wrong SM3: %v, want ErrDigestMismatch", err)
	}
}

func TestContentConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	data := bytes.Repeat([]byte("x"), 3<<20)
	d := oneShot(data)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- a.PutContentKnown(ctx, d, bytes.NewReader(data)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestRecordLifecycle(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)

	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	if !ValidRecordID(rec.ID) || rec.Version != 1 || rec.Disclosure != Public || rec.Retention != Permanent || !rec.FiledAt.Equal(testNow()) {
		t.Errorf("created = %+v", rec)
	}
	got, err := a.Record(ctx, rec.ID)
	if err != nil || !reflect.DeepEqual(got, rec) {
		t.Fatalf("Record = %+v, %v\nwant %+v", got, err, rec)
	}

	// The same filing again, even with the defaults spelled out: the same record.
	again := testRecord()
	again.Disclosure = Public
	dup, err := a.CreateRecord(ctx, again)
	if !errors.Is(err, ErrRecordExists) || !reflect.DeepEqual(dup, rec) {
		t.Errorf("re-run: %+v, %v, want the stored record and ErrRecordExists", dup, err)
	}
	// Different metadata: a different record over the same (deduplicated) content.
	other := testRecord()
	other.Title += "（附件）"
	other.ArchivalCode = "Z109-ZS·2024-Y-CQ01-0008" // two records never share one code
	rec2, err := a.CreateRecord(ctx, other)
	if err != nil || rec2.ID == rec.ID {
		t.Errorf("other record: %+v, %v", rec2, err)
	}

	// A correction.
	fix := rec
	fix.DocNumber = "长征补〔2024〕13号"
	v2, err := a.CorrectRecord(ctx, rec.ID, 1, fix, "文号录入错误")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.ID != rec.ID || v2.Supersedes == nil || *v2.Supersedes != (Supersedes{1, "文号录入错误"}) {
		t.Errorf("v2 = %+v", v2)
	}
	latest, err := a.Record(ctx, rec.ID)
	if err != nil || latest.Version != 2 || latest.DocNumber != fix.DocNumber {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	v1, err := a.RecordVersion(ctx, rec.ID, 1)
	if err != nil || !reflect.DeepEqual(v1, rec) {
		t.Errorf("version 1 changed: %+v, %v", v1, err)
	}
	all, err := a.RecordVersions(ctx, rec.ID)
	if err != nil || len(all) != 2 || all[0].Version != 1 || all[1].Version != 2 {
		t.Errorf("RecordVersions = %+v, %v", all, err)
	}
	if _, err := a.RecordVersion(ctx, rec.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("version 3: %v", err)
	}
	if _, err := a.Record(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: %v", err)
	}
	if _, err := a.Record(ctx, "../../etc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ill-formed id: %v", err)
	}

	// Corrections that break rules.
	moved := fix
	moved.Project = "CQ-2024-02"
	if _, err := a.CorrectRecord(ctx, rec.ID, 2, moved, "move"); !errors.Is(err, ErrInvalid) {
		t.Errorf("project change: %v", err)
	}
	if _, err := a.CorrectRecord(ctx, rec.ID, 2, fix, " "); !errors.Is(err, ErrInvalid) {
		t.Errorf("no reason: %v", err)
	}
	if _, err := a.CorrectRecord(ctx, rec.ID, 9, fix, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("correction of a missing version: %v", err)
	}

	var ids []string
	if err := a.Records(ctx, func(r Record) error { ids = append(ids, r.ID+":"+string(rune('0'+r.Version))); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || !(ids[0] < ids[1]) {
		t.Errorf("Records = %v", ids)
	}
}

func TestCreateRecordRefusals(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	tests := []struct {
		name   string
		change func(r *Record)
		want   error
	}{
		{"invalid", func(r *Record) { r.Title = "" }, ErrInvalid},
		{"id given", func(r *Record) { r.ID = "aaaaaaaaaaaaaaaaaaaaaaaaaa" }, ErrInvalid},
		{"supersedes given", func(r *Record) { r.Supersedes = &Supersedes{1, "x"} }, ErrInvalid},
		{"no such project", func(r *Record) { r.Project = "ZZ-1" }, ErrNotFound},
		{"content not stored", func(r *Record) { r.Content = oneShot([]byte("未入库")) }, ErrContentMissing},
		{"content size differs", func(r *Record) { r.Content.Size++ }, ErrDigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRecord()
			tt.change(&r)
			if _, err := a.CreateRecord(ctx, r); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	n := 0
	a.store.List(ctx, "records/", "", func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d record versions stored by refused filings", n)
	}
}

// TestCorrectionRace: many writers correct version 1 at once; exactly one makes
// version 2, and every other one learns that it lost (ErrVersionExists).
func TestCorrectionRace(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	results := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			fix := rec
			fix.Pages = 13 + i
			_, results[i] = a.CorrectRecord(ctx, rec.ID, 1, fix, "页数更正")
		})
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrVersionExists):
			t.Errorf("loser's error = %v, want ErrVersionExists", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers won, want exactly 1", won)
	}
	vs, err := a.RecordVersions(ctx, rec.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions = %d, %v", len(vs), err)
	}
}

// TestProjectCreateRace: many writers create one project code; exactly one wins.
func TestProjectCreateRace(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	var wg sync.WaitGroup
	results := make([]error, 16)
	for i := range results {
		wg.Go(func() {
			p := testProject()
			p.Households = i
			_, results[i] = a.CreateProject(ctx, p)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		if err == nil {
			won++
		} else if !errors.Is(err, ErrProjectExists) {
			t.Errorf("err = %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creators won, want 1", won)
	}
}

func TestRecordIDIsDeterministic(t *testing.T) {
	r := DefaultCatalogue().ApplyDefaults(testRecord())
	id1, _ := RecordID(r)
	r.FiledAt, r.Version, r.Signatures = time.Now(), 7, []byte(`{"x":1}`) // not identity
	id2, _ := RecordID(r)
	r.Pages++
	id3, _ := RecordID(r)
	if id1 != id2 || id1 == id3 || !ValidRecordID(id1) {
		t.Errorf("ids %s %s %s", id1, id2, id3)
	}
	// Pinned, so that a change of the derivation (which would make re-runs file
	// duplicates) cannot pass unnoticed.
	if want := "qlol43ba7pwkgkhspicbujshay"; id1 != want {
		t.Errorf("RecordID(testRecord) = %s, want %s", id1, want)
	}
}

// TestRecentContentWindow: right after storing content the archive files a record
// for it without asking the store again; once the window has passed it asks, and
// content removed behind its back is found missing.
func TestRecentContentWindow(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	now := testNow()
	a.now = func() time.Time { return now }
	rec := testRecord()
	d, err := a.PutContent(ctx, bytes.NewReader(testContent()), -1) // stored already: noted as found
	if err != nil || d != rec.Content {
		t.Fatalf("PutContent = %+v, %v", d, err)
	}
	if err := a.store.Delete(ctx, ContentKey(d.SHA256)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRecord(ctx, rec); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	now = now.Add(recentWindow + time.Second)
	rec.Title += "（更正）"
	if _, err := a.CreateRecord(ctx, rec); !errors.Is(err, ErrContentMissing) {
		t.Fatalf("after the window, content gone: %v, want ErrContentMissing", err)
	}
}
