package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// claimPrefix is where ingest claims archival item numbers (ingest.Numbering):
// one create-once object per number, holding the identity of the filing that
// took it (the id its record would have without the code).
const claimPrefix = "ingest/numbers/"

// claimKey is the claim of an archival code, as ingest names it.
func claimKey(c archive.ArchivalCode) string {
	dept := c.Department
	if dept == "" {
		dept = "_"
	}
	return fmt.Sprintf("%s%s/%s/%04d/%s/%s/%04d", claimPrefix, c.Fonds, c.Category, c.Year, c.Retention, dept, c.Item)
}

// filingIdentity is what the claim of a record's code holds: the id of version 1
// without its archival code.
func filingIdentity(v1 archive.Record) (string, error) {
	v1.ArchivalCode = ""
	return archive.RecordID(v1)
}

// assigned reports whether ingest numbered the record (its four-property report
// says so), as opposed to a code the filer gave.
func assigned(rec archive.Record) bool {
	var rep struct {
		Items []struct {
			Check string `json:"check"`
		} `json:"items"`
	}
	if json.Unmarshal(rec.Report, &rep) != nil {
		return false
	}
	return slices.ContainsFunc(rep.Items, func(it struct {
		Check string `json:"check"`
	}) bool {
		return it.Check == "numbering"
	})
}

type claim struct {
	key    string
	holder string // the filing identity it holds
	seen   string
	mod    time.Time
}

// checkClaims checks the archival codes (档号) of the records: no two records
// carry one code, and the claim of each record's code holds that record's
// filing. Claims of numbers no stored record carries are notices: a filing
// interrupted after its number was claimed (ingest hands such holes out first).
func (r *run) checkClaims(ctx context.Context) error {
	claims, err := r.readClaims(ctx)
	if err != nil {
		return err
	}
	r.rep.Claims = len(claims)
	byCode := map[string][]string{}     // code → ids of the records that carry it
	identities := map[string][]string{} // filing identity → ids of the records filed with it
	ids := make([]string, 0, len(r.versions))
	for id := range r.versions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, rec := range r.versions[id] {
			if rec.ArchivalCode != "" && !slices.Contains(byCode[rec.ArchivalCode], id) {
				byCode[rec.ArchivalCode] = append(byCode[rec.ArchivalCode], id)
			}
			if rec.Version == 1 && !r.altered[versionKey{id, 1}] {
				if ident, err := filingIdentity(rec); err == nil {
					identities[ident] = append(identities[ident], id)
				}
			}
		}
	}
	for _, ident := range slices.Sorted(mapKeys(identities)) {
		if ids := identities[ident]; len(ids) > 1 {
			r.filedTwice(ident, ids)
		}
	}
	codes := slices.Sorted(mapKeys(byCode))
	for _, code := range codes {
		if holders := byCode[code]; len(holders) > 1 {
			r.duplicate(code, holders, claims)
		}
	}
	for _, id := range ids {
		v1 := r.version(id, 1)
		if v1 == nil || v1.ArchivalCode == "" || r.altered[versionKey{id, 1}] {
			continue // none, or altered: its claim cannot say more
		}
		ac, err := archive.ParseArchivalCode(v1.ArchivalCode)
		if err != nil {
			continue // the catalogue's rules refused such codes at filing; record_altered if it changed
		}
		key := claimKey(ac)
		ident, _ := filingIdentity(*v1)
		c, ok := claims[key]
		switch {
		case !ok && assigned(*v1):
			r.add(Failure{Kind: ClaimMissing, Key: key, Record: id, Version: 1, Object: key, Seen: ledger.Absent,
				Detail: fmt.Sprintf("record %s carries the archival code %s, which ingest assigned, and its claim is not stored: the number can be handed out again", id, v1.ArchivalCode),
				Want:   fmt.Sprintf("a claim holding the filing identity %s", ident)}, nil)
		case ok && c.holder != ident && len(byCode[v1.ArchivalCode]) < 2:
			r.add(Failure{Kind: ClaimAltered, Key: key, Record: id, Version: 1, Object: key, Seen: c.seen,
				Detail: fmt.Sprintf("record %s carries the archival code %s, and its claim holds %q, not that filing's identity", id, v1.ArchivalCode, c.holder),
				Want:   fmt.Sprintf("a claim holding the filing identity %s", ident)}, nil)
		}
	}
	for _, key := range slices.Sorted(mapKeys(claims)) {
		c := claims[key]
		if _, filed := identities[c.holder]; !filed && !r.young(c.mod) {
			r.rep.Notices = append(r.rep.Notices, Failure{Kind: ClaimUnused, Key: key,
				Detail: fmt.Sprintf("the number was claimed (%s) by a filing that no stored record is: interrupted after the claim, it keeps its number when re-run", c.mod.UTC().Format(time.RFC3339))})
		}
	}
	return nil
}

// filedTwice reports the records that are one filing (the same document with
// the same metadata, their ids differing only by their archival codes): all
// but the first filed, which keeps its code.
func (r *run) filedTwice(ident string, ids []string) {
	v1s := make([]archive.Record, 0, len(ids))
	for _, id := range ids {
		v1s = append(v1s, *r.version(id, 1))
	}
	slices.SortFunc(v1s, func(a, b archive.Record) int {
		if c := a.FiledAt.Compare(b.FiledAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	first := v1s[0]
	for _, rec := range v1s[1:] {
		object := archive.RecordVersionKey(rec.ID, 1)
		r.add(Failure{Kind: FilingDuplicate, Key: object, Record: rec.ID, Version: 1, Object: object, Seen: r.recSeen[versionKey{rec.ID, 1}],
			Detail: fmt.Sprintf("record %s (档号 %q) is the filing of record %s (档号 %q, filed %s): the same document with the same metadata under a second archival code (filing identity %s)",
				rec.ID, rec.ArchivalCode, first.ID, first.ArchivalCode, first.FiledAt.UTC().Format(time.RFC3339), ident),
			Want: fmt.Sprintf("no second record: the filing is record %s with 档号 %q", first.ID, first.ArchivalCode)}, nil)
	}
}

// duplicate reports the records that carry one code: all but the one its claim
// names (all, when the claim names none of them).
func (r *run) duplicate(code string, holders []string, claims map[string]claim) {
	key := code
	owner := ""
	if ac, err := archive.ParseArchivalCode(code); err == nil {
		key = claimKey(ac)
		if c, ok := claims[key]; ok {
			for _, id := range holders {
				if v1 := r.version(id, 1); v1 != nil {
					if ident, _ := filingIdentity(*v1); ident == c.holder {
						owner = id
					}
				}
			}
		}
	}
	for _, id := range holders {
		if id == owner {
			continue
		}
		others := slices.DeleteFunc(slices.Clone(holders), func(s string) bool { return s == id })
		rec := r.versions[id][len(r.versions[id])-1]
		want := fmt.Sprintf("an archival code of its own: %s is %s's", code, strings.Join(others, ", "))
		if owner != "" {
			want = fmt.Sprintf("an archival code of its own: the claim of %s names record %s", code, owner)
		}
		object := archive.RecordVersionKey(id, rec.Version)
		r.add(Failure{Kind: CodeDuplicate, Key: object, Record: id, Version: rec.Version, Object: object, Seen: r.recSeen[versionKey{id, rec.Version}],
			Detail: fmt.Sprintf("record %s carries the archival code %s, as record(s) %s do: one 档号 for two documents", id, code, strings.Join(others, ", ")),
			Want:   want}, nil)
	}
}

// version returns version n of record id as read, or nil.
func (r *run) version(id string, n int) *archive.Record {
	for i, rec := range r.versions[id] {
		if rec.Version == n {
			return &r.versions[id][i]
		}
	}
	return nil
}

func (r *run) readClaims(ctx context.Context) (map[string]claim, error) {
	var infos []blob.Info
	if err := r.o.Store.List(ctx, claimPrefix, "", func(info blob.Info) error {
		infos = append(infos, info)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("audit: number claims: %w", err)
	}
	out := make([]claim, len(infos))
	if err := parallel.For(ctx, len(infos), 2*r.o.Workers, func(ctx context.Context, i int) error {
		b, err := readObject(ctx, r.o.Store, infos[i].Key, 4096)
		if errors.Is(err, blob.ErrNotFound) {
			return nil // removed since the listing: out[i] stays without a key
		}
		out[i] = claim{key: infos[i].Key, holder: string(b), seen: ledger.Seen(b), mod: infos[i].ModTime}
		return err
	}); err != nil {
		return nil, fmt.Errorf("audit: number claims: %w", err)
	}
	claims := make(map[string]claim, len(infos))
	for _, c := range out {
		if c.key != "" {
			claims[c.key] = c
		}
	}
	return claims, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
