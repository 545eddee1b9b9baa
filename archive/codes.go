package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Archival codes are unique. Besides the number claims with which ingest hands
// codes out, every record version that carries a code leaves a create-once marker
//
//	by-code/<fonds>/<category>/<year>/<retention>/<department or _>/<item>    the record id
//
// before the version is stored. A record whose code is marked for another record
// is refused (ErrCodeInUse): whatever a caller does (a manual code, a number
// handed out twice because its claim was deleted, a portal upload), two records
// never carry one 档号 while the marker is there. The markers are derived from the
// records (an audit can check and rebuild them); a marker without its record is a
// filing interrupted after the marker, whose re-run finds it its own.

// CodeMarkerKey is the key of the marker of an archival code (an error for a code
// that does not parse).
func CodeMarkerKey(code string) (string, error) { return byCodeKey(code) }

func byCodeKey(code string) (string, error) {
	ac, err := ParseArchivalCode(code)
	if err != nil {
		return "", err
	}
	dept := ac.Department
	if dept == "" {
		dept = "_"
	}
	return fmt.Sprintf("by-code/%s/%s/%04d/%s/%s/%04d", ac.Fonds, ac.Category, ac.Year, ac.Retention, dept, ac.Item), nil
}

// putByCode marks r's archival code as r's, or returns ErrCodeInUse when it is
// marked for another record.
func (a *Archive) putByCode(ctx context.Context, r Record) error {
	if r.ArchivalCode == "" {
		return nil
	}
	key, err := byCodeKey(r.ArchivalCode)
	if err != nil {
		return err // the validator refused it before; not reached
	}
	err = a.put(ctx, key, []byte(r.ID+"\n"), true)
	if !errors.Is(err, blob.ErrExists) {
		if err != nil {
			return fmt.Errorf("archival code index: %w", err)
		}
		return nil
	}
	holder, err := a.CodeHolder(ctx, r.ArchivalCode)
	if err != nil {
		return err
	}
	if holder != r.ID {
		return fmt.Errorf("archival code %s: %w: record %s carries it", r.ArchivalCode, ErrCodeInUse, holder)
	}
	return nil
}

// CodeHolder returns the id of the record that carries the archival code, by
// its marker, or ErrNotFound when none does.
func (a *Archive) CodeHolder(ctx context.Context, code string) (string, error) {
	key, err := byCodeKey(code)
	if err != nil {
		return "", fmt.Errorf("archive: archival code: %w", err)
	}
	b, err := a.get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("archive: archival code %s: %w", code, err)
	}
	return strings.TrimSpace(string(b)), nil
}
