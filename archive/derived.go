package archive

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Derived objects are hints that follow from the authoritative ones (record
// versions, content) and that an audit checks against them and can rebuild. The
// content markers by-content/<aa>/<sha256 hex>.<record id> (see RecordsByContent)
// are the archive's.

// RecordVersionKey is the key of version n of record id: records/<id>/<n>.json.
func RecordVersionKey(id string, n int) string { return VersionKey(SubjectRecord, id, n) }

// VersionKey is the key of version n of the subject of kind k and id id
// (Versions.Key, without an Archive).
func VersionKey(k SubjectKind, id string, n int) string {
	return k.Prefix() + id + "/" + versionName(n)
}

// ContentMarkerKey is the key of the marker that says record id has content h in
// some version.
func ContentMarkerKey(h Hash, id string) string { return byContentKey(h, id) }

// ContentMarker is one stored content marker.
type ContentMarker struct {
	Key     string
	Content Hash
	Record  string
	ModTime time.Time
}

// WalkContentMarkers calls fn with every content marker in key order. Keys under
// by-content/ that are not markers are passed with a zero Content and an empty
// Record, so that a check can name them.
func (a *Archive) WalkContentMarkers(ctx context.Context, fn func(ContentMarker) error) error {
	return a.store.List(ctx, "by-content/", "", func(info blob.Info) error {
		m := ContentMarker{Key: info.Key, ModTime: info.ModTime}
		rest := strings.TrimPrefix(info.Key, "by-content/")
		if fan, name, ok := strings.Cut(rest, "/"); ok {
			if hx, id, ok := strings.Cut(name, "."); ok && ValidRecordID(id) {
				if h, err := ParseHash(hx); err == nil && strings.HasPrefix(hx, fan) && len(fan) == 2 {
					m.Content, m.Record = h, id
				}
			}
		}
		return fn(m)
	})
}

// PutCodeMarker stores the marker of rec's archival code, as filing does: one
// already there naming rec is left as it is, one naming another record is
// ErrCodeInUse. It is how an audit's repair rebuilds a marker found missing
// (or, after removing it, one found naming the wrong record).
func (a *Archive) PutCodeMarker(ctx context.Context, rec Record) error {
	if !ValidRecordID(rec.ID) {
		return fmt.Errorf("archive: archival-code marker: %q is not a record id", rec.ID)
	}
	if err := a.putByCode(ctx, rec); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return blob.Sync(ctx, a.store)
}

// PutContentMarker stores the marker of record id for content h, as filing does;
// one already there is left as it is. It is how an audit's repair rebuilds a
// marker found missing.
func (a *Archive) PutContentMarker(ctx context.Context, h Hash, id string) error {
	if !ValidRecordID(id) {
		return fmt.Errorf("archive: content marker: %q is not a record id", id)
	}
	if err := a.putByContent(ctx, Record{ID: id, Content: Digests{SHA256: h}}); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return blob.Sync(ctx, a.store)
}
