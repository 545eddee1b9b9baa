package households

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/gongshi-archive/gongshi/archive"
)

// Query codes (查询码).
//
// Staff issue each household a code, printed on a notice that is handed over;
// the household enters its number and the code to see its own records. A code is
// CodeLength characters of archive.CodeAlphabet (19 symbols without look-alikes),
// about 51 bits, drawn from crypto/rand; it is reusable until revoked (an elderly
// resident comes back many times) and can be revoked and issued anew. Only its
// Argon2id hash is stored (the Hasher's parameters), as a version of subject
// "code" (codes/<project>_<household>/<n>.json), so a code can be checked by any
// server sharing the store and is never shown again after it is issued.

// CodeLength is the number of characters of a code: log2(19) × 12 ≈ 51 bits.
const CodeLength = 12

// CodeStatus says whether a code version lets the household in.
type CodeStatus string

// The statuses.
const (
	CodeIssued  CodeStatus = "issued"
	CodeRevoked CodeStatus = "revoked"
)

// Code is one version of a household's query code.
type Code struct {
	// Key is archive.HouseholdKey(Project, Household), the subject's id.
	Key                string
	Version            int
	Project, Household string
	Status             CodeStatus
	// Hash is the code's Argon2id PHC string; empty when revoked.
	Hash string
	// At is when; Actor who; Reason why (a revocation, a new code).
	At     time.Time
	Actor  archive.Actor
	Reason string
}

type codeWire struct {
	Schema    int           `json:"schema"`
	Key       string        `json:"key"`
	Version   int           `json:"version"`
	Project   string        `json:"project"`
	Household string        `json:"household"`
	Status    CodeStatus    `json:"status"`
	Hash      string        `json:"hash,omitempty"`
	At        string        `json:"at"`
	Actor     archive.Actor `json:"actor,omitempty"`
	Reason    string        `json:"reason,omitempty"`
}

// EncodeCode returns the canonical JSON of c.
func EncodeCode(c Code) ([]byte, error) {
	b, err := archive.EncodeCanonical(codeWire{Schema: archive.SchemaVersion, Key: c.Key, Version: c.Version,
		Project: c.Project, Household: c.Household, Status: c.Status, Hash: c.Hash,
		At: archive.FormatTime(c.At), Actor: c.Actor, Reason: c.Reason})
	if err != nil {
		return nil, fmt.Errorf("households: encode code %s: %w", c.Key, err)
	}
	return b, nil
}

// DecodeCode parses what EncodeCode writes.
func DecodeCode(b []byte) (Code, error) {
	var w codeWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Code{}, fmt.Errorf("households: decode code: %w", err)
	}
	at, err := archive.ParseTime(w.At)
	if err != nil {
		return Code{}, fmt.Errorf("households: decode code %s: %w", w.Key, err)
	}
	switch {
	case w.Key != archive.HouseholdKey(w.Project, w.Household):
		return Code{}, fmt.Errorf("households: decode code %s: the key is not the project's and household's", w.Key)
	case w.Status == CodeIssued && w.Hash == "", w.Status == CodeRevoked && w.Hash != "",
		w.Status != CodeIssued && w.Status != CodeRevoked:
		return Code{}, fmt.Errorf("households: decode code %s: status %q with hash %v", w.Key, w.Status, w.Hash != "")
	}
	return Code{Key: w.Key, Version: w.Version, Project: w.Project, Household: w.Household, Status: w.Status,
		Hash: w.Hash, At: at, Actor: w.Actor, Reason: w.Reason}, nil
}

// CodeVersions is how query codes are versioned.
var CodeVersions = archive.VersionKind[Code]{
	Subject: archive.SubjectCode, First: archive.EventCreate,
	Encode: EncodeCode, Decode: DecodeCode,
	Ident: func(c Code) (string, int) { return c.Key, c.Version },
	Meta: func(c Code) archive.VersionMeta {
		return archive.VersionMeta{Time: c.At, Actor: c.Actor, Reason: c.Reason}
	},
}

// Errors of query codes.
var (
	// ErrBadCode: the household number and code do not let anyone in: no such
	// household, no code issued, a revoked code, or a wrong one. The login says
	// the same for all of them.
	ErrBadCode = errors.New("wrong household number or query code")
	// ErrNoHasher: the service was made without a Hasher.
	ErrNoHasher = errors.New("no hasher for query codes")
)

// NewCode draws a code from r (crypto/rand).
func NewCode(r io.Reader) (string, error) {
	var b strings.Builder
	n := big.NewInt(int64(len(archive.CodeAlphabet)))
	for range CodeLength {
		i, err := randInt(r, n)
		if err != nil {
			return "", fmt.Errorf("households: new code: %w", err)
		}
		b.WriteByte(archive.CodeAlphabet[i])
	}
	return b.String(), nil
}

// randInt is a uniform number below n from r (rejection sampling, as
// crypto/rand.Int does).
func randInt(r io.Reader, n *big.Int) (int64, error) {
	var one [1]byte
	lim := 256 - 256%int(n.Int64())
	for {
		if _, err := io.ReadFull(r, one[:]); err != nil {
			return 0, err
		}
		if int(one[0]) < lim {
			return int64(one[0]) % n.Int64(), nil
		}
	}
}

// FormatCode writes a code in groups of four, as the notice prints it:
// K7M3-PXAC-EFHJ.
func FormatCode(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, "-")
}

// NormalizeCode reads a code as a person types it: capitals or not, with spaces
// or dashes between the groups, full-width characters from a Chinese input
// method. It reports false when the result cannot be a code.
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		r = unicode.ToUpper(r)
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '—' || r == '－':
			continue
		case strings.ContainsRune(archive.CodeAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == CodeLength
}

func (s *Service) codeKey(project, hh string) (string, error) {
	if err := archive.ValidateProjectCode(project); err != nil || !archive.ValidHouseholdNumber(hh) {
		return "", fmt.Errorf("households: %q household %q: %w", project, hh, ErrNoHousehold)
	}
	return archive.HouseholdKey(project, hh), nil
}

// IssueCode issues household hh of project a new query code, as actor, and
// returns it (shown once: only its hash is kept). A household that has a code
// already gets a new one in its place (the old one stops working), which needs a
// reason. The household must be in the project's register.
func (s *Service) IssueCode(ctx context.Context, project, hh string, actor archive.Actor, reason string) (string, Code, error) {
	if s.hasher == nil {
		return "", Code{}, ErrNoHasher
	}
	key, err := s.codeKey(project, hh)
	if err != nil {
		return "", Code{}, err
	}
	reg, err := s.Register(ctx, project)
	if err != nil {
		return "", Code{}, err
	}
	if _, ok := reg.Household(hh); !ok {
		return "", Code{}, fmt.Errorf("households: %s household %s: %w", project, hh, ErrNoHousehold)
	}
	cur, err := s.codes.Latest(ctx, key)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return "", Code{}, err
	}
	if cur.Status == CodeIssued && strings.TrimSpace(reason) == "" {
		return "", Code{}, fmt.Errorf("households: %s household %s has a code (issued %s): a new one replaces it: %w", project, hh, cur.At.Format(time.DateOnly), ErrReasonRequired)
	}
	code, err := NewCode(s.rand)
	if err != nil {
		return "", Code{}, err
	}
	h, err := s.hasher.Hash(ctx, code)
	if err != nil {
		return "", Code{}, fmt.Errorf("households: hash code: %w", err)
	}
	c := Code{Key: key, Version: cur.Version + 1, Project: project, Household: hh, Status: CodeIssued, Hash: h,
		At: s.now().UTC().Truncate(time.Millisecond), Actor: actor, Reason: strings.TrimSpace(reason)}
	got, err := s.codes.Put(ctx, c)
	if err != nil {
		return "", got, fmt.Errorf("households: %w", err)
	}
	return code, got, nil
}

// RevokeCode ends household hh's code, as actor, for reason (required).
func (s *Service) RevokeCode(ctx context.Context, project, hh string, actor archive.Actor, reason string) (Code, error) {
	key, err := s.codeKey(project, hh)
	if err != nil {
		return Code{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Code{}, fmt.Errorf("households: revoke the code of %s household %s: %w", project, hh, ErrReasonRequired)
	}
	cur, err := s.codes.Latest(ctx, key)
	if err != nil {
		return Code{}, fmt.Errorf("households: revoke the code of %s household %s: %w", project, hh, err)
	}
	if cur.Status != CodeIssued {
		return cur, fmt.Errorf("households: the code of %s household %s: %w", project, hh, archive.ErrUnchanged)
	}
	c := Code{Key: key, Version: cur.Version + 1, Project: project, Household: hh, Status: CodeRevoked,
		At: s.now().UTC().Truncate(time.Millisecond), Actor: actor, Reason: strings.TrimSpace(reason)}
	got, err := s.codes.Put(ctx, c)
	if err != nil {
		return got, fmt.Errorf("households: %w", err)
	}
	return got, nil
}

// CodeOf returns the latest version of household hh's code (ErrNotFound when
// none was issued).
func (s *Service) CodeOf(ctx context.Context, project, hh string) (Code, error) {
	key, err := s.codeKey(project, hh)
	if err != nil {
		return Code{}, err
	}
	return s.codes.Latest(ctx, key)
}

// CheckCode checks household hh's code as typed (NormalizeCode) and returns its
// version when it lets the household in, else ErrBadCode, whatever the reason
// (it costs one hash either way). It counts nothing: slowing down wrong attempts
// is the caller's (it knows the client).
func (s *Service) CheckCode(ctx context.Context, project, hh, typed string) (Code, error) {
	if s.hasher == nil {
		return Code{}, ErrNoHasher
	}
	code, ok := NormalizeCode(typed)
	if !ok {
		// Nothing that can be a code is hashed; the answer is the same.
		return Code{}, ErrBadCode
	}
	key, err := s.codeKey(project, hh)
	if err != nil {
		s.hasher.Burn(ctx, code)
		return Code{}, ErrBadCode
	}
	cur, err := s.codes.Latest(ctx, key)
	switch {
	case errors.Is(err, archive.ErrNotFound):
		s.hasher.Burn(ctx, code)
		return Code{}, ErrBadCode
	case err != nil:
		return Code{}, err
	case cur.Status != CodeIssued:
		s.hasher.Burn(ctx, code)
		return Code{}, ErrBadCode
	}
	if err := s.hasher.Verify(ctx, cur.Hash, code); err != nil {
		if ctx.Err() != nil {
			return Code{}, ctx.Err()
		}
		return Code{}, ErrBadCode
	}
	return cur, nil
}

// CodeCurrent reports whether version n of household hh's code is still the one
// that lets it in (not revoked, not replaced): a household's session ends when
// its code does.
func (s *Service) CodeCurrent(ctx context.Context, project, hh string, n int) (bool, error) {
	cur, err := s.CodeOf(ctx, project, hh)
	if errors.Is(err, archive.ErrNotFound) || errors.Is(err, ErrNoHousehold) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return cur.Version == n && cur.Status == CodeIssued, nil
}

// Codes returns the latest version of the code of every household of project
// that was ever issued one, by household number: one listing of the project's
// codes, then a read of each latest version (no hash is checked).
func (s *Service) Codes(ctx context.Context, project string) (map[string]Code, error) {
	if err := archive.ValidateProjectCode(project); err != nil {
		return nil, fmt.Errorf("households: codes of %q: %w", project, err)
	}
	latest := map[string]int{}
	var ids []string
	err := s.codes.WalkIDs(ctx, archive.HouseholdKey(project, ""), func(v archive.VersionInfo) error {
		if _, ok := latest[v.ID]; !ok {
			ids = append(ids, v.ID)
		}
		latest[v.ID] = max(latest[v.ID], v.Version)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("households: codes of %s: %w", project, err)
	}
	out := make(map[string]Code, len(ids))
	for _, id := range ids {
		c, err := s.codes.Get(ctx, id, latest[id])
		if err != nil {
			return nil, err
		}
		if c.Project == project {
			out[c.Household] = c
		}
	}
	return out, nil
}
