package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

type contentObject struct {
	key  string
	sha  archive.Hash
	size int64
}

// checkContent lists every content object and re-reads those sampled and not yet
// done, in chunks whose results are saved for a resume.
func (r *run) checkContent(ctx context.Context) error {
	var all, todo []contentObject
	var totalBytes int64
	var unreferenced []blob.Info
	if err := r.o.Store.List(ctx, "blobs/sha256/", "", func(info blob.Info) error {
		h, err := archive.ParseHash(info.Key[strings.LastIndexByte(info.Key, '/')+1:])
		if err != nil {
			return nil // not a content object
		}
		ob := contentObject{info.Key, h, info.Size}
		all = append(all, ob)
		if _, named := r.refs[h]; !named && !r.young(info.ModTime) {
			unreferenced = append(unreferenced, info)
		}
		if info.Key > r.st.After && sampled(h, r.st.Sample, r.st.Offset) {
			todo = append(todo, ob)
			totalBytes += info.Size
		}
		return nil
	}); err != nil {
		return fmt.Errorf("audit: content: %w", err)
	}
	r.rep.ContentObjects = len(all)
	r.stored = make(map[archive.Hash]bool, len(all))
	for _, ob := range all {
		r.stored[ob.sha] = true
	}
	for _, info := range unreferenced {
		r.rep.Notices = append(r.rep.Notices, Failure{Kind: ContentUnreferenced, Key: info.Key,
			Detail: fmt.Sprintf("no version names this content (stored %s): a filing interrupted before its record was stored; re-running it files it", info.ModTime.UTC().Format(time.RFC3339))})
	}
	r.missingContent()
	if err := r.readContent(ctx, todo, totalBytes); err != nil {
		return err
	}
	for i, f := range r.st.Failures {
		var ev *archive.Event
		if r.st.Events[i].Kind != "" {
			ev = &r.st.Events[i]
		}
		r.add(f, ev)
	}
	r.rep.Read, r.rep.ReadBytes = r.st.Read, r.st.Bytes
	r.rep.ReadErrors = r.st.ReadErrors
	return nil
}

// missingContent names the content of record versions that is not stored.
func (r *run) missingContent() {
	missing := make([]archive.Hash, 0)
	for h := range r.refs {
		if !r.stored[h] {
			missing = append(missing, h)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].String() < missing[j].String() })
	for _, h := range missing {
		if r.disposedContent(h) {
			continue
		}
		for _, rf := range r.refs[h] {
			key := archive.ContentKey(h)
			f := Failure{Kind: ContentMissing, Key: key, Object: key, Seen: ledger.Absent,
				Detail: "the record's content object is not in the store", Want: wantContent(rf.content)}
			if rf.subject != "" {
				f.Detail = "the content object is not in the store"
			}
			rf.name(&f)
			r.add(f, rf.event(r.st.Started))
		}
	}
}

// disposedContent reports whether content h is missing because it was disposed
// of: every record that names it has its tombstone. It adds the notice that
// says so, with the tombstones; a record that is kept and names h makes it a
// failure (for that record) instead.
func (r *run) disposedContent(h archive.Hash) bool {
	var ids []string
	for _, rf := range r.refs[h] {
		if _, ok := r.disposed[rf.id]; !ok {
			return false
		}
		if !slices.Contains(ids, rf.id) {
			ids = append(ids, rf.id)
		}
	}
	var lines []string
	for _, id := range ids {
		t := r.disposed[id]
		lines = append(lines, fmt.Sprintf("record %s, disposed of on list %s approved by %s on %s (tombstone version %d, destruction list %s)",
			id, t.Disposal.List, t.Disposal.Approver, t.Disposal.Approved.UTC().Format(time.RFC3339), t.Version, t.Disposal.Register))
	}
	r.rep.Notices = append(r.rep.Notices, Failure{Kind: ContentDisposed, Key: archive.ContentKey(h), Record: ids[0],
		Detail: "disposed of at the end of its retention: " + strings.Join(lines, "; ")})
	return true
}

func wantContent(d archive.Digests) string {
	return fmt.Sprintf("the content with SHA-256 %s, SM3 %s, %d bytes", d.SHA256, d.SM3, d.Size)
}

func (rf ref) event(at time.Time) *archive.Event {
	if rf.subject != "" {
		return &archive.Event{Kind: archive.EventFixityFailure, Subject: rf.subject, SubjectID: rf.id, Version: rf.version,
			RecordDigest: rf.record, Actor: archive.ActorSystem, Time: at}
	}
	return &archive.Event{Kind: archive.EventFixityFailure, RecordID: rf.id, Version: rf.version, Content: rf.content, RecordDigest: rf.record, Time: at}
}

// name says in f which version names the content.
func (rf ref) name(f *Failure) {
	if rf.subject == "" {
		f.Record, f.Version = rf.id, rf.version
		return
	}
	f.Detail += fmt.Sprintf(" (the content of %s %s version %d)", rf.subject, rf.id, rf.version)
}

func (r *run) readContent(ctx context.Context, todo []contentObject, totalBytes int64) error {
	prog := Progress{Total: int64(len(todo)), TotalBytes: totalBytes}
	var pmu sync.Mutex
	// One copy buffer per reader, made when first needed: at most Workers
	// calls run at once, so a call always finds one in bufs.
	bufs := make(chan []byte, r.o.Workers)
	for range r.o.Workers {
		bufs <- nil
	}
	for start := 0; start < len(todo); start += r.o.ChunkSize {
		chunk := todo[start:min(start+r.o.ChunkSize, len(todo))]
		results := make([]result, len(chunk))
		// A read error is a result, not a failure of the call: only the end of
		// ctx stops the chunk, and then nothing of it is kept.
		if err := parallel.For(ctx, len(chunk), r.o.Workers, func(ctx context.Context, i int) error {
			buf := <-bufs
			if buf == nil {
				buf = make([]byte, 1<<20)
			}
			defer func() { bufs <- buf }()
			results[i] = check(ctx, r.o.Store, chunk[i].key, buf)
			if r.o.Progress != nil {
				pmu.Lock()
				prog.Done++
				prog.DoneBytes += results[i].sum.Size
				r.o.Progress(prog)
				pmu.Unlock()
			}
			return nil
		}); err != nil {
			return fmt.Errorf("audit: interrupted after %s (the next run resumes there): %w", r.st.After, err)
		}
		for i, res := range results {
			ob := chunk[i]
			r.st.Read++
			r.st.Bytes += res.sum.Size
			if res.err != nil && !errors.Is(res.err, blob.ErrNotFound) && !errors.Is(res.err, context.Canceled) {
				r.st.ReadErrors = append(r.st.ReadErrors, ReadError{Key: ob.key, Detail: res.err.Error()})
				continue
			}
			for _, f := range contentFailures(ob.key, ob.sha, res, r.refs[ob.sha], r.st.Started) {
				r.st.Failures = append(r.st.Failures, f)
				if f.event != nil {
					r.st.Events = append(r.st.Events, *f.event)
				} else {
					r.st.Events = append(r.st.Events, archive.Event{})
				}
			}
		}
		r.st.After = chunk[len(chunk)-1].key
		if err := saveState(r.o.StatePath, r.st); err != nil {
			return err
		}
	}
	return nil
}

type result struct {
	sum archive.Digests
	err error
}

// Reading a content object is tried readAttempts times, pausing readBackoff
// before the second attempt and twice as long before each further one, unless the
// object is not there (blob.ErrNotFound) or ctx ends.
var (
	readAttempts = 4
	readBackoff  = 500 * time.Millisecond
)

// check reads the object under key and returns its digests, retrying errors that
// may be transient.
func check(ctx context.Context, st blob.Store, key string, buf []byte) result {
	pause := readBackoff
	for attempt := 1; ; attempt++ {
		res := checkOnce(ctx, st, key, buf)
		if res.err == nil || errors.Is(res.err, blob.ErrNotFound) || ctx.Err() != nil {
			return res
		}
		if attempt >= readAttempts {
			res.err = fmt.Errorf("read %d times, failed each time; the last error: %w", attempt, res.err)
			return res
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return result{err: ctx.Err()}
		case <-t.C:
		}
		pause *= 2
	}
}

func checkOnce(ctx context.Context, st blob.Store, key string, buf []byte) result {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return result{err: err}
	}
	defer rc.Close()
	d := archive.NewDigester()
	if _, err := io.CopyBuffer(d, rc, buf); err != nil {
		return result{err: err}
	}
	return result{sum: d.Sum()}
}

// contentFailures compares what was read under key with what its key and its
// records say.
func contentFailures(key string, sha archive.Hash, res result, refs []ref, at time.Time) []Failure {
	var out []Failure
	base := Failure{Key: key, Object: key}
	if res.err != nil {
		// Only an object that is not there is a finding: Run reports other read
		// errors as operational errors, not as failures.
		if !errors.Is(res.err, blob.ErrNotFound) {
			return nil
		}
		base.Kind, base.Seen, base.Detail = ContentMissing, ledger.Absent, res.err.Error()
		for _, rf := range refs {
			f := base
			f.Want, f.event = wantContent(rf.content), rf.event(at)
			rf.name(&f)
			out = append(out, f)
		}
		if len(refs) == 0 {
			out = append(out, base)
		}
		return out
	}
	base.Seen = "sha256:" + res.sum.SHA256.String()
	if res.sum.SHA256 != sha {
		base.Kind = ContentDamaged
		base.Detail = fmt.Sprintf("the object's bytes have SHA-256 %s, not the %s of its key", res.sum.SHA256, sha)
		base.Want = fmt.Sprintf("the bytes whose SHA-256 is %s", sha)
		if len(refs) == 0 {
			base.Detail += " (no record names it)"
			return []Failure{base}
		}
		for _, rf := range refs {
			f := base
			f.Want, f.event = wantContent(rf.content), rf.event(at)
			rf.name(&f)
			out = append(out, f)
		}
		return out
	}
	for _, rf := range refs {
		if rf.content.SM3 != res.sum.SM3 || rf.content.Size != res.sum.Size {
			f := base
			f.Kind, f.Want, f.event = ContentDamaged, wantContent(rf.content), rf.event(at)
			f.Detail = fmt.Sprintf("the object has SM3 %s and %d bytes, the version that names it says SM3 %s and %d bytes", res.sum.SM3, res.sum.Size, rf.content.SM3, rf.content.Size)
			rf.name(&f)
			out = append(out, f)
		}
	}
	return out
}

// sampled reports whether the object with SHA-256 h is in the window of width
// sample starting at offset, on the circle of the first two bytes of digests.
func sampled(h archive.Hash, sample float64, offset uint16) bool {
	if sample >= 1 {
		return true
	}
	pos := binary.BigEndian.Uint16(h[:2]) - offset // wraps around
	return float64(pos) < sample*65536
}
