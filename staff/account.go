package staff

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
)

// Account is one version of a staff account: who may log in, with which roles,
// and the credentials that prove it. Versions are create-once and ledgered
// (accounts/<id>/<n>.json, subject "account"): creating, disabling, a new
// password, a new role or a new token is a new version naming who made it and why.
// The ledger entry carries only the version's digest: the login, the name and the
// credential hashes stay in the store.
type Account struct {
	// ID is opaque (u + 12 base32 characters), never a name: it is what the
	// public ledger shows as the actor of a change (archive.AccountActor).
	ID      string
	Version int
	// Login is what the person types: 2 to 32 of a-z, 0-9, '.', '_' and '-',
	// starting with a letter, unique across accounts (lower case).
	Login string
	// Name is the person's name as colleagues know it (显示名称).
	Name string
	// Roles: archive's roles; never two of the three administrators' (三员分立).
	Roles []archive.Role
	// Disabled accounts cannot log in; their sessions and tokens stop working.
	Disabled bool
	// Password is the Argon2id PHC string; PasswordSetAt when it was set: sessions
	// begun before then end.
	Password      string
	PasswordSetAt time.Time
	// MustChange: the password was set by someone else (a reset); the next login
	// asks for a new one.
	MustChange bool
	// Tokens are the API tokens of the account, revoked ones included.
	Tokens []Token
	// CreatedAt is when version 1 was made; UpdatedAt when this version was.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Actor made this version; Reason says why (for versions after the first).
	Actor  archive.Actor
	Reason string
}

// Token is an API token of an account (for the CLI and scripts). Only the
// SHA-256 of its secret is kept: the token itself is shown once, when made.
type Token struct {
	ID        string
	Name      string
	SHA256    archive.Hash
	CreatedAt time.Time
	// ExpiresAt is when it stops working (zero: never); RevokedAt when it was
	// revoked (zero: it was not).
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Active reports whether the token works at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// HasRole reports whether the account holds r.
func (a Account) HasRole(r archive.Role) bool { return slices.Contains(a.Roles, r) }

// As is the account as the actor of a change.
func (a Account) As() archive.Actor { return archive.AccountActor(a.ID) }

// Token returns the token with id.
func (a Account) Token(id string) (Token, bool) {
	for _, t := range a.Tokens {
		if t.ID == id {
			return t, true
		}
	}
	return Token{}, false
}

// The three administrators of 三员分立: no account holds two of them.
var separatedRoles = []archive.Role{archive.RoleSystemAdmin, archive.RoleSecurityOfficer, archive.RoleAuditor}

// Separated reports whether r is one of the three separated administrators'.
func Separated(r archive.Role) bool { return slices.Contains(separatedRoles, r) }

// CheckRoles says what is wrong with a set of roles, or nil: unknown roles,
// repeats, and two of the three separated administrators in one account.
func CheckRoles(roles []archive.Role) error {
	var admins []string
	for i, r := range roles {
		if !r.Valid() {
			return fmt.Errorf("角色 (roles): unknown role %q (want one of %v)", r, archive.Roles())
		}
		if slices.Contains(roles[:i], r) {
			return fmt.Errorf("角色 (roles): %s given twice", r)
		}
		if Separated(r) {
			admins = append(admins, string(r))
		}
	}
	if len(admins) > 1 {
		return fmt.Errorf("角色 (roles): %s are held by different people (三员分立): one account may hold only one of system_admin, security_officer and auditor",
			strings.Join(admins, " and "))
	}
	return nil
}

// NormalizeLogin is the login as it is stored and compared: lower case, without
// surrounding space.
func NormalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckLogin says what is wrong with a (normalized) login, or nil.
func CheckLogin(s string) error {
	if len(s) < 2 || len(s) > 32 {
		return fmt.Errorf("登录名 (login): %q must be 2 to 32 characters", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')
		if !ok {
			return fmt.Errorf("登录名 (login): %q: use a-z, 0-9, '.', '_' and '-', starting with a letter", s)
		}
	}
	return nil
}

// CheckName says what is wrong with a display name, or nil.
func CheckName(s string) error {
	n := utf8.RuneCountInString(s)
	if strings.TrimSpace(s) == "" || n > 64 || !utf8.ValidString(s) {
		return fmt.Errorf("姓名 (name): 1 to 64 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("姓名 (name): no control or format characters")
		}
	}
	return nil
}

// validate checks a version before it is stored.
func (a Account) validate() error { return a.check(true) }

// check is validate, with or without the password hash (checked before it is
// made, which is slow).
func (a Account) check(withPassword bool) error {
	var ps []string
	add := func(err error) {
		if err != nil {
			ps = append(ps, err.Error())
		}
	}
	add(CheckLogin(a.Login))
	add(CheckName(a.Name))
	add(CheckRoles(a.Roles))
	if _, err := parsePHC(a.Password); withPassword && err != nil {
		ps = append(ps, "密码 (password): "+err.Error())
	}
	if a.Version > 1 && strings.TrimSpace(a.Reason) == "" {
		ps = append(ps, "原因 (reason): a change of an account says why")
	}
	for i, t := range a.Tokens {
		if !validTokenID(t.ID) || slices.ContainsFunc(a.Tokens[:i], func(o Token) bool { return o.ID == t.ID }) {
			ps = append(ps, fmt.Sprintf("tokens: id %q", t.ID))
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("%w: account %s: %s", archive.ErrInvalid, a.Login, strings.Join(ps, "; "))
	}
	return nil
}

// The canonical JSON of an account version.

type accountWire struct {
	Schema        int            `json:"schema"`
	ID            string         `json:"id"`
	Version       int            `json:"version"`
	Login         string         `json:"login"`
	Name          string         `json:"name"`
	Roles         []archive.Role `json:"roles,omitempty"`
	Disabled      bool           `json:"disabled,omitempty"`
	Password      string         `json:"password"`
	PasswordSetAt string         `json:"password_set_at"`
	MustChange    bool           `json:"must_change,omitempty"`
	Tokens        []tokenWire    `json:"tokens,omitempty"`
	CreatedAt     string         `json:"created_at"`
	UpdatedAt     string         `json:"updated_at"`
	Actor         archive.Actor  `json:"actor"`
	Reason        string         `json:"reason,omitempty"`
}

type tokenWire struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	SHA256    string `json:"sha256"`
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at,omitempty"`
	RevokedAt string `json:"revoked_at,omitempty"`
}

// EncodeAccount returns the canonical JSON of a.
func EncodeAccount(a Account) ([]byte, error) {
	w := accountWire{Schema: archive.SchemaVersion, ID: a.ID, Version: a.Version, Login: a.Login, Name: a.Name,
		Roles: a.Roles, Disabled: a.Disabled, Password: a.Password, PasswordSetAt: archive.FormatTime(a.PasswordSetAt),
		MustChange: a.MustChange, CreatedAt: archive.FormatTime(a.CreatedAt), UpdatedAt: archive.FormatTime(a.UpdatedAt),
		Actor: a.Actor, Reason: a.Reason}
	for _, t := range a.Tokens {
		w.Tokens = append(w.Tokens, tokenWire{ID: t.ID, Name: t.Name, SHA256: t.SHA256.String(),
			CreatedAt: archive.FormatTime(t.CreatedAt), ExpiresAt: archive.FormatTime(t.ExpiresAt), RevokedAt: archive.FormatTime(t.RevokedAt)})
	}
	b, err := archive.EncodeCanonical(w)
	if err != nil {
		return nil, fmt.Errorf("staff: encode account %s: %w", a.ID, err)
	}
	return b, nil
}

// DecodeAccount parses what EncodeAccount writes.
func DecodeAccount(b []byte) (Account, error) {
	var w accountWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Account{}, fmt.Errorf("staff: decode account: %w", err)
	}
	var tp timeParser
	at := tp.at
	a := Account{ID: w.ID, Version: w.Version, Login: w.Login, Name: w.Name, Roles: w.Roles, Disabled: w.Disabled,
		Password: w.Password, PasswordSetAt: at(w.PasswordSetAt), MustChange: w.MustChange,
		CreatedAt: at(w.CreatedAt), UpdatedAt: at(w.UpdatedAt), Actor: w.Actor, Reason: w.Reason}
	for _, tw := range w.Tokens {
		h, err := archive.ParseHash(tw.SHA256)
		if err != nil && tp.err == nil {
			tp.err = fmt.Errorf("token %s: %w", tw.ID, err)
		}
		a.Tokens = append(a.Tokens, Token{ID: tw.ID, Name: tw.Name, SHA256: h,
			CreatedAt: at(tw.CreatedAt), ExpiresAt: at(tw.ExpiresAt), RevokedAt: at(tw.RevokedAt)})
	}
	if tp.err != nil {
		return Account{}, fmt.Errorf("staff: decode account %s: %w", w.ID, tp.err)
	}
	return a, nil
}

// timeParser parses the times of a stored version, keeping the first error.
type timeParser struct{ err error }

func (p *timeParser) at(s string) time.Time {
	t, err := archive.ParseTime(s)
	if err != nil && p.err == nil {
		p.err = err
	}
	return t
}

// AccountVersions is how accounts are versioned.
var AccountVersions = archive.VersionKind[Account]{
	Subject: archive.SubjectAccount, First: archive.EventCreate,
	Encode: EncodeAccount, Decode: DecodeAccount,
	Ident: func(a Account) (string, int) { return a.ID, a.Version },
	Meta: func(a Account) archive.VersionMeta {
		return archive.VersionMeta{Time: a.UpdatedAt, Actor: a.Actor, Reason: a.Reason}
	},
}
