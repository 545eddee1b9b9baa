package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// projectEvent is a correction of a project by an account, with a reason.
func projectEvent() archive.Event {
	return archive.Event{
		Kind: archive.EventNewVersion, Subject: archive.SubjectProject, SubjectID: "CC-2026-001", Version: 2,
		RecordDigest: sha256.Sum256([]byte("project json")), Actor: archive.AccountActor("u-0042"),
		Reason: archive.ReasonDigest("户数有误"), Time: testNow().Add(1500 * time.Millisecond),
	}
}

// recordEventV2 is event(i) with an actor: the second form.
func recordEventV2(i int) archive.Event {
	e := event(i)
	e.Subject, e.SubjectID, e.Actor = archive.SubjectRecord, e.RecordID, archive.ActorCLI
	return e
}

func TestEntryTextV2(t *testing.T) {
	p := projectEvent()
	r := recordEventV2(1)
	for _, c := range []struct {
		name string
		e    archive.Event
		want string
	}{
		{"project correction", p, "gongshi ledger entry v2\nkind new_version\nsubject project CC-2026-001\nversion 2\n" +
			"version-sha256 " + p.RecordDigest.String() + "\nactor account:u-0042\nreason-sha256 " + p.Reason.String() +
			"\ntime 2024-06-01T10:00:01.500Z\n"},
		{"record filing", r, "gongshi ledger entry v2\nkind file\nsubject record " + r.RecordID + "\nversion 1\n" +
			"version-sha256 " + r.RecordDigest.String() + "\ncontent-sha256 " + r.Content.SHA256.String() +
			"\ncontent-sm3 " + r.Content.SM3.String() + "\ncontent-size 1001\nactor cli\ntime 2024-06-01T10:00:01.000Z\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text, err := FormatEntry(c.e)
			if err != nil {
				t.Fatal(err)
			}
			if string(text) != c.want {
				t.Fatalf("entry text:\n%s\nwant\n%s", text, c.want)
			}
			back, err := ParseEntry(text)
			if err != nil || !reflect.DeepEqual(back, c.e) {
				t.Fatalf("parse: %+v, %v\nwant %+v", back, err, c.e)
			}
			if k, id := back.Ref(); k != c.e.Subject || id != c.e.SubjectID {
				t.Errorf("Ref = %s %s", k, id)
			}
		})
	}
	// A record's event of the second form names the record in RecordID too, so
	// that what reads RecordID reads either form.
	if back, _ := ParseEntry(must(FormatEntry(r))); back.RecordID != r.RecordID {
		t.Errorf("RecordID %q", back.RecordID)
	}

	// Every other spelling of these events is refused.
	pt, rt := string(must(FormatEntry(p))), string(must(FormatEntry(r)))
	for name, bad := range map[string]string{
		"no actor line":            strings.Replace(pt, "actor account:u-0042\n", "", 1),
		"actor with a name":        strings.Replace(pt, "account:u-0042", "张三", 1),
		"an account id with space": strings.Replace(pt, "account:u-0042", "account:u 42", 1),
		"reason after the time":    strings.Replace(pt, "reason-sha256 "+p.Reason.String()+"\ntime 2024-06-01T10:00:01.500Z\n", "time 2024-06-01T10:00:01.500Z\nreason-sha256 "+p.Reason.String()+"\n", 1),
		"a zero reason":            strings.Replace(pt, p.Reason.String(), strings.Repeat("0", 64), 1),
		"the reason's text":        strings.Replace(pt, "reason-sha256 "+p.Reason.String(), "reason 户数有误", 1),
		"a project with content":   strings.Replace(pt, "actor ", "content-sha256 "+r.Content.SHA256.String()+"\ncontent-sm3 "+r.Content.SM3.String()+"\ncontent-size 1\nactor ", 1),
		"a record without content": strings.Replace(rt, "content-sha256 "+r.Content.SHA256.String()+"\ncontent-sm3 "+r.Content.SM3.String()+"\ncontent-size 1001\n", "", 1),
		"a record without its sm3": strings.Replace(rt, "content-sm3 "+r.Content.SM3.String()+"\n", "", 1),
		"unknown subject kind":     strings.Replace(pt, "subject project", "subject parcel", 1),
		"a lower-case code":        strings.Replace(pt, "CC-2026-001", "cc-2026-001", 1),
		"a subject without id":     strings.Replace(pt, "subject project CC-2026-001", "subject project", 1),
		"two spaces":               strings.Replace(pt, "subject project", "subject  project", 1),
		"the v1 record line":       strings.Replace(rt, "subject record ", "record ", 1),
		"a v1 header":              strings.Replace(rt, "v2", "v1", 1),
		"a v3 header":              strings.Replace(rt, "v2", "v3", 1),
		"an extra line":            pt + "name 张三\n",
		"a household line":         strings.Replace(pt, "version 2\n", "version 2\nhousehold 12-3-401\n", 1),
		"no final newline":         strings.TrimSuffix(pt, "\n"),
		"CRLF":                     strings.ReplaceAll(pt, "\n", "\r\n"),
		"a project filed":          strings.Replace(pt, "kind new_version", "kind file", 1),
		"upper-case hex":           strings.Replace(pt, p.RecordDigest.String(), strings.ToUpper(p.RecordDigest.String()), 1),
		"time in a zone":           strings.Replace(pt, "10:00:01.500Z", "18:00:01.500+08:00", 1),
	} {
		if _, err := ParseEntry([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}

	// Events that have no entry.
	for name, edit := range map[string]func(*archive.Event){
		"unknown actor":            func(e *archive.Event) { e.Actor = "root" },
		"project without actor":    func(e *archive.Event) { e.Actor, e.Reason = "", archive.Hash{} },
		"project with content":     func(e *archive.Event) { e.Content.Size = 3 },
		"record id on a project":   func(e *archive.Event) { e.RecordID = recordID(1) },
		"kind create without v2":   func(e *archive.Event) { *e = event(1); e.Kind = archive.EventCreate },
		"a reason without actor":   func(e *archive.Event) { *e = event(1); e.Reason = archive.ReasonDigest("x") },
		"two ids of one record":    func(e *archive.Event) { *e = recordEventV2(1); e.RecordID = recordID(2) },
		"an invalid project code":  func(e *archive.Event) { e.SubjectID = "CC/1" },
		"an unknown subject kind":  func(e *archive.Event) { e.Subject = "parcel" },
		"an account id with a dot": func(e *archive.Event) { e.Actor = archive.AccountActor("u.1") },
	} {
		e := projectEvent()
		edit(&e)
		if _, err := FormatEntry(e); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: formatted (%v)", name, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzParseEntry: whatever ParseEntry accepts, FormatEntry writes back byte for
// byte (one spelling per event), and it never panics. The seeds, entries of both
// forms, run with the normal tests.
func FuzzParseEntry(f *testing.F) {
	r := recordEventV2(7)
	r.Kind, r.Version, r.Reason = archive.EventNewVersion, 3, archive.ReasonDigest("题名有误")
	for _, e := range []archive.Event{event(1), projectEvent(), recordEventV2(2), r,
		{Kind: archive.EventCreate, Subject: archive.SubjectHold, SubjectID: "P_CC-2026-001_aaaaaaaa", Version: 1, Actor: archive.ActorSystem, Time: testNow()}} {
		f.Add(must(FormatEntry(e)))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		e, err := ParseEntry(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		again, err := FormatEntry(e)
		if err != nil || !bytes.Equal(again, text) {
			t.Fatalf("parsed %+v from %q, formatted %q, %v", e, text, again, err)
		}
	})
}

// Every subject kind's events are found by their subject, and appending one again
// appends nothing.
func TestLookupSubject(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		l := New(st, Options{Key: testKey(t, "gongshi.example/lookup")})
		p := projectEvent()
		p1 := p
		p1.Kind, p1.Version, p1.Reason = archive.EventCreate, 1, archive.Hash{}
		hold := archive.Event{Kind: archive.EventCreate, Subject: archive.SubjectHold, SubjectID: "R_aaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbb",
			Version: 1, Actor: archive.ActorCLI, Time: testNow()}
		events := []archive.Event{p1, event(1), p, recordEventV2(2), hold}
		idx, err := l.AppendAll(ctx, events)
		if err != nil {
			t.Fatal(err)
		}
		again, err := l.AppendAll(ctx, events)
		if err != nil || !reflect.DeepEqual(again, idx) || latest(t, l).Size != int64(len(events)) {
			t.Fatalf("appended again: %v %v, size %d", again, err, latest(t, l).Size)
		}
		for i, e := range events {
			kind, id := e.Ref()
			locs, err := l.LookupSubject(ctx, kind, id, e.Version)
			if err != nil || len(locs) != 1 || locs[0].Index != idx[i] || locs[0].Kind != e.Kind {
				t.Fatalf("lookup of %s %s version %d: %+v, %v", kind, id, e.Version, locs, err)
			}
			rc, err := l.Receipt(ctx, locs[0])
			if err != nil {
				t.Fatal(err)
			}
			v, err := VerifyReceipt(rc, l.key.Verifier, nil)
			if err != nil || !reflect.DeepEqual(v.Event, e) {
				t.Fatalf("receipt of entry %d: %+v, %v", idx[i], v.Event, err)
			}
		}
		// The record's events are where records' always were; the project's
		// have their own prefix, and a project version 3 has none.
		if locs, err := l.Lookup(ctx, recordID(2), 1); err != nil || len(locs) != 1 || locs[0].Index != idx[3] {
			t.Fatalf("Lookup of a record with a v2 entry: %+v, %v", locs, err)
		}
		if locs, err := l.LookupSubject(ctx, archive.SubjectProject, "CC-2026-001", 3); err != nil || len(locs) != 0 {
			t.Fatalf("project version 3: %+v, %v", locs, err)
		}
		var keys []string
		st.List(ctx, "ledger/by-project/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
		if len(keys) != 2 || !strings.HasPrefix(keys[0], "ledger/by-project/CC/CC-2026-001.000001.create.") {
			t.Fatalf("project lookup keys %v", keys)
		}
		if _, err := l.LookupSubject(ctx, archive.SubjectProject, "cc/1", 1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("invalid id: %v", err)
		}
	})
}
