package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// ObjectOverwritten: a key holds versions written around Gongshi (blob.Versioned):
// a newer version put over the one Gongshi created (a lock protects a version,
// not a name), or a delete marker. Gongshi keeps reading its own version, so
// nothing it decides changes, but someone with the store's credentials wrote
// there.
const ObjectOverwritten = "object_overwritten"

// checkOverwrites names, on a store that keeps every version of a key (an S3
// bucket with object lock), the keys that have more than the one version Gongshi
// wrote. Gongshi writes each key once, and its own Delete removes every version.
func (r *run) checkOverwrites(ctx context.Context) error {
	v, ok := r.o.Store.(blob.Versioned)
	if !ok {
		return nil
	}
	err := v.Overwrites(ctx, "", func(o blob.Overwrite) error {
		r.add(Failure{Kind: ObjectOverwritten, Key: o.Key,
			Detail: fmt.Sprintf("%d newer version(s) and %d delete marker(s) were written under this key around Gongshi, the latest at %s; Gongshi reads the version it created",
				o.Newer, o.DeleteMarkers, o.Latest.UTC().Format(time.RFC3339)),
			Want: "the one version Gongshi created, and nothing after it"}, nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: overwrites: %w", err)
	}
	return nil
}
