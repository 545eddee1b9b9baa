package staff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Sentinel errors, wrapped with the operation.
var (
	// ErrLoginTaken: another account has this login.
	ErrLoginTaken = errors.New("login already taken")
	// ErrSessionEnded: the session is unknown, ended, expired, or its account can
	// no longer log in.
	ErrSessionEnded = errors.New("session ended")
	// ErrBadToken: the API token is unknown, revoked or expired, or its account
	// can no longer log in.
	ErrBadToken = errors.New("invalid API token")
	// ErrNotAllowed: the actor may not make this change (see Allowed).
	ErrNotAllowed = errors.New("not allowed")
)

// TooManyError: too many failed logins lately; try again after RetryAfter.
type TooManyError struct{ RetryAfter time.Duration }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Options configure a Service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Hasher hashes passwords; nil means DefaultParams, two at a time.
	Hasher *Hasher
	// SessionTTL is how long a session lasts after its login; 0 means 8 hours
	// (a working day).
	SessionTTL time.Duration
	// Limiter slows password guessing; nil means NewLimiter().
	Limiter *Limiter
}

// Service keeps the staff accounts, sessions and audit trail of an archive. It
// holds nothing but its configuration and the login limiter's counts, so several
// servers can share one store. It is safe for concurrent use.
type Service struct {
	store    blob.Store
	accounts *archive.Versions[Account]
	sessions *archive.Versions[Session]
	trail    *archive.Versions[TrailEntry]
	hasher   *Hasher
	now      func() time.Time
	ttl      time.Duration
	limiter  *Limiter

	trailMu   sync.Mutex
	lastTrail time.Time // the time of this service's last trail entry
}

// New returns the staff service of the archive a, whose store st holds the
// login claims.
func New(a *archive.Archive, st blob.Store, o Options) *Service {
	s := &Service{store: st, accounts: archive.NewVersions(a, AccountVersions),
		sessions: archive.NewVersions(a, SessionVersions), trail: archive.NewVersions(a, TrailVersions),
		hasher: o.Hasher, now: o.Now, ttl: o.SessionTTL, limiter: o.Limiter}
	if s.hasher == nil {
		s.hasher = NewHasher(DefaultParams, 2)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 8 * time.Hour
	}
	if s.limiter == nil {
		s.limiter = NewLimiter()
	}
	return s
}

// SessionTTL is how long a session lasts.
func (s *Service) SessionTTL() time.Duration { return s.ttl }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// ---- accounts ----

// loginClaim is the key that reserves a login for one account: create-once, so
// of two accounts made at once with one login, one gets it. It holds the
// claiming account's version 1, so that a creation cut short between the claim
// and the version is completed by whoever finds the claim.
func loginClaim(login string) string {
	h := sha256.Sum256([]byte("gongshi login " + login))
	return fmt.Sprintf("logins/%x", h[:])
}

// NewAccount is what CreateAccount needs.
type NewAccount struct {
	Login, Name string
	Roles       []archive.Role
	Password    string
	// MustChange: the person must choose a new password at the first login (set
	// when someone else chose this one).
	MustChange bool
}

// CreateAccount makes a new account, as actor (ActorCLI from the server's
// machine, else an account Allowed to). A login in use is ErrLoginTaken; a rule
// broken is archive.ErrInvalid.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount, actor archive.Actor) (Account, error) {
	now := s.stamp()
	a := Account{ID: newAccountID(), Version: 1, Login: NormalizeLogin(n.Login), Name: strings.TrimSpace(n.Name),
		Roles: n.Roles, MustChange: n.MustChange, PasswordSetAt: now, CreatedAt: now, UpdatedAt: now, Actor: actor}
	fail := func(err error) (Account, error) {
		return Account{}, fmt.Errorf("staff: create account %s: %w", a.Login, err)
	}
	if err := CheckPasswordRule(n.Password); err != nil {
		return fail(fmt.Errorf("%w: %v", archive.ErrInvalid, err))
	}
	if err := a.check(false); err != nil { // before the (slow) hash
		return fail(err)
	}
	pw, err := s.hasher.Hash(ctx, n.Password)
	if err != nil {
		return fail(err)
	}
	a.Password = pw
	b, err := EncodeAccount(a)
	if err != nil {
		return fail(err)
	}
	_, err = s.store.Put(ctx, loginClaim(a.Login), bytes.NewReader(b), blob.PutOptions{Size: int64(len(b))})
	if errors.Is(err, blob.ErrExists) {
		if cerr := s.completeClaim(ctx, a.Login); cerr != nil {
			return fail(cerr)
		}
		return fail(ErrLoginTaken)
	}
	if err != nil {
		return fail(err)
	}
	// ErrVersionExists: whoever found the claim first completed it, with these
	// very bytes.
	if _, err := s.accounts.Put(ctx, a); err != nil && !errors.Is(err, archive.ErrVersionExists) {
		return fail(err)
	}
	return a, nil
}

// completeClaim stores the version 1 that the claim of login holds, when a
// creation was cut short after its claim.
func (s *Service) completeClaim(ctx context.Context, login string) error {
	b, err := s.readClaim(ctx, login)
	if err != nil {
		return err
	}
	a, err := DecodeAccount(b)
	if err != nil {
		return fmt.Errorf("login claim: %w", err)
	}
	if _, err := s.accounts.Put(ctx, a); err != nil && !errors.Is(err, archive.ErrVersionExists) {
		return err
	}
	return nil
}

func (s *Service) readClaim(ctx context.Context, login string) ([]byte, error) {
	rc, err := s.store.Get(ctx, loginClaim(login))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 1<<20))
}

// Account returns the latest version of account id, or archive.ErrNotFound.
func (s *Service) Account(ctx context.Context, id string) (Account, error) {
	if !validAccountID(id) {
		return Account{}, fmt.Errorf("staff: account %q: %w", id, archive.ErrNotFound)
	}
	return s.accounts.Latest(ctx, id)
}

// AccountByLogin returns the latest version of the account with login, or
// archive.ErrNotFound.
func (s *Service) AccountByLogin(ctx context.Context, login string) (Account, error) {
	login = NormalizeLogin(login)
	if CheckLogin(login) != nil {
		return Account{}, fmt.Errorf("staff: login %q: %w", login, archive.ErrNotFound)
	}
	b, err := s.readClaim(ctx, login)
	if errors.Is(err, blob.ErrNotFound) {
		return Account{}, fmt.Errorf("staff: login %q: %w", login, archive.ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("staff: login %q: %w", login, err)
	}
	first, err := DecodeAccount(b)
	if err != nil {
		return Account{}, fmt.Errorf("staff: login %q: claim: %w", login, err)
	}
	a, err := s.accounts.Latest(ctx, first.ID)
	if errors.Is(err, archive.ErrNotFound) {
		// The creation was cut short after its claim: complete it.
		if err := s.completeClaim(ctx, login); err != nil {
			return Account{}, err
		}
		return first, nil
	}
	return a, err
}

// Accounts returns the latest version of every account, by id.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	var out []Account
	err := s.accounts.EachLatest(ctx, func(a Account) error {
		out = append(out, a)
		return nil
	})
	return out, err
}

// History returns every version of account id, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]Account, error) {
	return s.accounts.History(ctx, id)
}

// changeRetries is how often a change that lost a race re-reads the account.
const changeRetries = 5

// change makes a new version of account id: fn edits a copy of the latest, as
// actor, for reason. A change that loses a race is redone on the new latest.
func (s *Service) change(ctx context.Context, id string, actor archive.Actor, reason string, fn func(*Account) error) (Account, error) {
	for range changeRetries {
		cur, err := s.Account(ctx, id)
		if err != nil {
			return Account{}, err
		}
		next := cur
		next.Roles = append([]archive.Role(nil), cur.Roles...)
		next.Tokens = append([]Token(nil), cur.Tokens...)
		if err := fn(&next); err != nil {
			return Account{}, err
		}
		next.Version, next.UpdatedAt, next.Actor, next.Reason = cur.Version+1, s.stamp(), actor, strings.TrimSpace(reason)
		if err := next.validate(); err != nil {
			return Account{}, err
		}
		_, err = s.accounts.Put(ctx, next)
		if errors.Is(err, archive.ErrVersionExists) {
			continue
		}
		if err != nil {
			return Account{}, err
		}
		return next, nil
	}
	return Account{}, fmt.Errorf("other changes kept coming first: %w", archive.ErrVersionExists)
}

// SetDisabled disables (or enables again) account id.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool, actor archive.Actor, reason string) (Account, error) {
	a, err := s.change(ctx, id, actor, reason, func(a *Account) error { a.Disabled = disabled; return nil })
	if err != nil {
		return Account{}, fmt.Errorf("staff: disable account %s: %w", id, err)
	}
	return a, nil
}

// SetRoles gives account id the roles.
func (s *Service) SetRoles(ctx context.Context, id string, roles []archive.Role, actor archive.Actor, reason string) (Account, error) {
	a, err := s.change(ctx, id, actor, reason, func(a *Account) error { a.Roles = roles; return nil })
	if err != nil {
		return Account{}, fmt.Errorf("staff: roles of account %s: %w", id, err)
	}
	return a, nil
}

// SetPassword gives account id a new password. mustChange: someone else chose
// it (a reset), and the person must choose their own at the next login. Every
// session of the account begun before ends.
func (s *Service) SetPassword(ctx context.Context, id, password string, mustChange bool, actor archive.Actor, reason string) (Account, error) {
	fail := func(err error) (Account, error) {
		return Account{}, fmt.Errorf("staff: password of account %s: %w", id, err)
	}
	if err := CheckPasswordRule(password); err != nil {
		return fail(fmt.Errorf("%w: %v", archive.ErrInvalid, err))
	}
	pw, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return fail(err)
	}
	a, err := s.change(ctx, id, actor, reason, func(a *Account) error {
		// Strictly later than the password it replaces, even within one
		// millisecond: the sessions of the old one must end.
		at := s.stamp()
		if !at.After(a.PasswordSetAt) {
			at = a.PasswordSetAt.Add(time.Millisecond)
		}
		a.Password, a.PasswordSetAt, a.MustChange = pw, at, mustChange
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return a, nil
}

// ChangeOwnPassword sets the password of account id to next, when current is
// its password now (a wrong one counts as a failed login of the account, and
// is ErrBadPassword). Every session of the account ends: log in again with next.
func (s *Service) ChangeOwnPassword(ctx context.Context, id, current, next string) (Account, error) {
	a, err := s.Account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	key := "account " + a.Login
	now := s.now()
	if w := s.limiter.Wait(key, now); w > 0 {
		return Account{}, &TooManyError{RetryAfter: w}
	}
	if err := s.hasher.Verify(ctx, a.Password, current); err != nil {
		if errors.Is(err, ErrBadPassword) {
			s.limiter.Fail(key, now)
		}
		return Account{}, fmt.Errorf("staff: password of account %s: %w", id, err)
	}
	if current == next {
		return Account{}, fmt.Errorf("staff: password of account %s: %w: the new password is the old one", id, archive.ErrInvalid)
	}
	return s.SetPassword(ctx, id, next, false, a.As(), "password changed by its holder")
}

// ---- logins and sessions ----

// Login checks login and password and begins a session for the client's
// address. It returns the session's secret (for the cookie; it is stored
// nowhere) and the session. A wrong login, a wrong password and a disabled
// account are the same ErrBadPassword, in the same time; too many failures
// lately, for the account or for the client, are a *TooManyError, before any
// password is checked.
func (s *Service) Login(ctx context.Context, login, password, client string) (string, Session, Account, error) {
	login = NormalizeLogin(login)
	now := s.now()
	akey, ckey := "account "+login, "client "+client
	if w := max(s.limiter.Wait(akey, now), s.limiter.Wait(ckey, now)); w > 0 {
		return "", Session{}, Account{}, &TooManyError{RetryAfter: w}
	}
	a, err := s.AccountByLogin(ctx, login)
	if err != nil && !errors.Is(err, archive.ErrNotFound) {
		return "", Session{}, Account{}, err
	}
	if err == nil {
		err = s.hasher.Verify(ctx, a.Password, password)
		if err == nil && a.Disabled {
			err = ErrBadPassword
		}
	} else {
		s.hasher.Burn(ctx, password)
		err = ErrBadPassword
	}
	if errors.Is(err, ErrBadPassword) {
		if CheckLogin(login) == nil {
			s.limiter.Fail(akey, now)
		}
		s.limiter.Fail(ckey, now)
		return "", Session{}, Account{}, err
	}
	if err != nil {
		return "", Session{}, Account{}, err
	}
	s.limiter.Succeed(akey)
	secret := newSecret()
	at := s.stamp()
	sess := Session{ID: sessionID(secret), Version: 1, Account: a.ID, Client: client, CreatedAt: at,
		ExpiresAt: at.Add(s.ttl), PasswordSetAt: a.PasswordSetAt, Actor: a.As()}
	if _, err := s.sessions.Put(ctx, sess); err != nil {
		return "", Session{}, Account{}, fmt.Errorf("staff: login %s: %w", a.ID, err)
	}
	return secret, sess, a, nil
}

// Session returns the session whose secret the cookie holds and its account,
// when the session still lets its holder in; else ErrSessionEnded.
func (s *Service) Session(ctx context.Context, secret string) (Session, Account, error) {
	if !validSecret(secret) {
		return Session{}, Account{}, fmt.Errorf("staff: session: malformed: %w", ErrSessionEnded)
	}
	sess, err := s.sessions.Latest(ctx, sessionID(secret))
	if errors.Is(err, archive.ErrNotFound) {
		return Session{}, Account{}, fmt.Errorf("staff: session: unknown: %w", ErrSessionEnded)
	}
	if err != nil {
		return Session{}, Account{}, err
	}
	now := s.now()
	if sess.Ended(now) {
		return Session{}, Account{}, fmt.Errorf("staff: session %s: %w", sess.ID, ErrSessionEnded)
	}
	a, err := s.Account(ctx, sess.Account)
	if err != nil {
		return Session{}, Account{}, err
	}
	if a.Disabled || !a.PasswordSetAt.Equal(sess.PasswordSetAt) {
		return Session{}, Account{}, fmt.Errorf("staff: session %s: account changed: %w", sess.ID, ErrSessionEnded)
	}
	return sess, a, nil
}

// Logout ends the session whose secret the cookie holds. Ending an ended
// session is not an error.
func (s *Service) Logout(ctx context.Context, secret, reason string) error {
	if !validSecret(secret) {
		return nil
	}
	sess, err := s.sessions.Latest(ctx, sessionID(secret))
	if errors.Is(err, archive.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.Version > 1 {
		return nil
	}
	end := sess
	end.Version, end.EndedAt, end.Reason = 2, s.stamp(), reason
	if _, err := s.sessions.Put(ctx, end); err != nil && !errors.Is(err, archive.ErrVersionExists) {
		return fmt.Errorf("staff: logout %s: %w", sess.ID, err)
	}
	return nil
}

// ---- API tokens ----

// IssueToken makes a new API token of account id, named name (what it is for),
// that expires after ttl (0: never). It returns the token's text, which is
// stored nowhere: show it once.
func (s *Service) IssueToken(ctx context.Context, id, name string, ttl time.Duration, actor archive.Actor) (string, Account, error) {
	secret, tid := newSecret(), newTokenID()
	now := s.stamp()
	t := Token{ID: tid, Name: strings.TrimSpace(name), SHA256: digest(secret), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	a, err := s.change(ctx, id, actor, "API token "+tid+" issued", func(a *Account) error {
		a.Tokens = append(a.Tokens, t)
		return nil
	})
	if err != nil {
		return "", Account{}, fmt.Errorf("staff: token for account %s: %w", id, err)
	}
	return formatToken(id, tid, secret), a, nil
}

// RevokeToken revokes token tid of account id.
func (s *Service) RevokeToken(ctx context.Context, id, tid string, actor archive.Actor, reason string) (Account, error) {
	a, err := s.change(ctx, id, actor, strings.TrimSpace("API token "+tid+" revoked: "+reason), func(a *Account) error {
		for i, t := range a.Tokens {
			if t.ID == tid {
				if t.RevokedAt.IsZero() {
					a.Tokens[i].RevokedAt = s.stamp()
				}
				return nil
			}
		}
		return fmt.Errorf("token %s: %w", tid, archive.ErrNotFound)
	})
	if err != nil {
		return Account{}, fmt.Errorf("staff: revoke token of account %s: %w", id, err)
	}
	return a, nil
}

// TokenAccount returns the account an API token belongs to, when the token
// works; else ErrBadToken.
func (s *Service) TokenAccount(ctx context.Context, token string) (Account, Token, error) {
	id, tid, secret, ok := parseToken(token)
	if !ok {
		return Account{}, Token{}, fmt.Errorf("staff: token: malformed: %w", ErrBadToken)
	}
	a, err := s.Account(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return Account{}, Token{}, fmt.Errorf("staff: token: %w", ErrBadToken)
	}
	if err != nil {
		return Account{}, Token{}, err
	}
	t, found := a.Token(tid)
	// The digest is compared whether or not the token was found, in constant time.
	match := sameDigest(t.SHA256, digest(secret))
	if !found || !match || !t.Active(s.now()) || a.Disabled {
		return Account{}, Token{}, fmt.Errorf("staff: token %s: %w", tid, ErrBadToken)
	}
	return a, t, nil
}

// ---- the audit trail ----

// Record adds an entry to the staff audit trail (ledgered). The id and time are
// the service's.
func (s *Service) Record(ctx context.Context, t TrailEntry) (TrailEntry, error) {
	// Entries of one server come in order even within a millisecond: each is a
	// millisecond after the last one when the clock has not moved (between
	// servers, the ledger's order is the order).
	s.trailMu.Lock()
	t.At = s.stamp()
	if !t.At.After(s.lastTrail) {
		t.At = s.lastTrail.Add(time.Millisecond)
	}
	s.lastTrail = t.At
	s.trailMu.Unlock()
	t.ID = newTrailID(t.At)
	if !t.Actor.Valid() || !validAction(t.Action) {
		return TrailEntry{}, fmt.Errorf("staff: trail entry %q by %q: %w", t.Action, t.Actor, archive.ErrInvalid)
	}
	if _, err := s.trail.Put(ctx, t); err != nil {
		return TrailEntry{}, fmt.Errorf("staff: trail: %w", err)
	}
	return t, nil
}

// TrailEntry returns the trail entry id, or archive.ErrNotFound.
func (s *Service) TrailEntry(ctx context.Context, id string) (TrailEntry, error) {
	return s.trail.Get(ctx, id, 1)
}

// Trail calls fn with every trail entry after the id after ("" for all), oldest
// first.
func (s *Service) Trail(ctx context.Context, after string, fn func(TrailEntry) error) error {
	return s.trail.EachLatest(ctx, func(t TrailEntry) error {
		if t.ID <= after {
			return nil
		}
		return fn(t)
	})
}

func validAction(a string) bool {
	if a == "" || len(a) > 32 {
		return false
	}
	for i := 0; i < len(a); i++ {
		if c := a[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}
