package staff

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// testParams make password hashes cheap in tests (the parameters are part of
// each hash, so nothing else changes).
var testParams = Params{Memory: 64, Time: 1, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	ctx   context.Context
	st    blob.Store
	a     *archive.Archive
	led   *ledger.Log
	clock *clock
	s     *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := fs.Open(filepath.Join(dir, "store"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := ledger.GenerateKeyFile(filepath.Join(dir, "ledger.key"), "staff.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}
	led := ledger.New(st, ledger.Options{Key: key})
	a := archive.New(st, archive.Options{Now: c.now, Journal: led})
	s := New(a, st, Options{Now: c.now, Hasher: NewHasher(testParams, 2)})
	return &fixture{ctx: context.Background(), st: st, a: a, led: led, clock: c, s: s}
}

func (f *fixture) create(t *testing.T, login string, roles ...archive.Role) Account {
	t.Helper()
	a, err := f.s.CreateAccount(f.ctx, NewAccount{Login: login, Name: "王" + login, Roles: roles, Password: "correct horse " + login}, archive.ActorCLI)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// entries returns the ledger's entries as events.
func (f *fixture) entries(t *testing.T) []archive.Event {
	t.Helper()
	var out []archive.Event
	err := f.led.Entries(f.ctx, func(_ int64, b []byte) error {
		e, err := ledger.ParseEntry(b)
		out = append(out, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAccountsAreLedgeredVersions(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, "Wang.Li", archive.RoleArchivist)
	if a.Login != "wang.li" || !validAccountID(a.ID) || a.Version != 1 {
		t.Fatalf("created %+v", a)
	}
	if strings.Contains(a.Password, "correct horse") || !strings.HasPrefix(a.Password, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("stored password %q", a.Password)
	}
	got, err := f.s.AccountByLogin(f.ctx, " WANG.LI ")
	if err != nil || got.ID != a.ID {
		t.Fatalf("by login: %+v %v", got, err)
	}
	// Another account with the same login (in any case) is refused.
	_, err = f.s.CreateAccount(f.ctx, NewAccount{Login: "wang.li", Name: "另一个", Password: "0123456789abc"}, archive.ActorCLI)
	if !errors.Is(err, ErrLoginTaken) {
		t.Fatalf("second wang.li: %v", err)
	}
	b, err := f.s.SetDisabled(f.ctx, a.ID, true, archive.ActorCLI, "离职")
	if err != nil || b.Version != 2 || !b.Disabled {
		t.Fatalf("disable: %+v %v", b, err)
	}
	es := f.entries(t)
	if len(es) != 2 {
		t.Fatalf("%d ledger entries, want 2: %+v", len(es), es)
	}
	for i, e := range es {
		if k, id := e.Ref(); k != archive.SubjectAccount || id != a.ID || e.Version != i+1 || e.Actor != archive.ActorCLI {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if es[1].Reason != archive.ReasonDigest("离职") {
		t.Errorf("the disabling's entry lacks its reason's digest")
	}
	// The version's bytes are exactly what the entry's digest says.
	raw, err := f.s.accounts.Bytes(f.ctx, a.ID, 2)
	if err != nil || archive.VersionEvent(AccountVersions, b, raw).RecordDigest != es[1].RecordDigest {
		t.Fatalf("version 2's bytes do not match its entry (%v)", err)
	}
	list, err := f.s.Accounts(f.ctx)
	if err != nil || len(list) != 1 || list[0].Version != 2 {
		t.Fatalf("accounts: %+v %v", list, err)
	}
}

func TestAccountRules(t *testing.T) {
	f := newFixture(t)
	cases := map[string]NewAccount{
		"two administrators":   {Login: "admin", Name: "管理员", Password: "0123456789abc", Roles: []archive.Role{archive.RoleSystemAdmin, archive.RoleAuditor}},
		"officer and auditor":  {Login: "so", Name: "安全员", Password: "0123456789abc", Roles: []archive.Role{archive.RoleSecurityOfficer, archive.RoleAuditor}},
		"unknown role":         {Login: "x1", Name: "某人", Password: "0123456789abc", Roles: []archive.Role{"root"}},
		"role twice":           {Login: "x2", Name: "某人", Password: "0123456789abc", Roles: []archive.Role{archive.RoleArchivist, archive.RoleArchivist}},
		"short password":       {Login: "x3", Name: "某人", Password: "123456789"},
		"login with a slash":   {Login: "a/b", Name: "某人", Password: "0123456789abc"},
		"login starting digit": {Login: "9lives", Name: "某人", Password: "0123456789abc"},
		"empty name":           {Login: "x4", Name: " ", Password: "0123456789abc"},
		"control in name":      {Login: "x5", Name: "王\u202e丽", Password: "0123456789abc"},
		"long password":        {Login: "x6", Name: "某人", Password: strings.Repeat("密", 100)},
	}
	for name, n := range cases {
		if _, err := f.s.CreateAccount(f.ctx, n, archive.ActorCLI); !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if es := f.entries(t); len(es) != 0 {
		t.Errorf("refused accounts left %d ledger entries", len(es))
	}
	// One administrator's role with business roles is fine.
	a := f.create(t, "chief", archive.RoleSystemAdmin, archive.RoleInspector)
	if _, err := f.s.SetRoles(f.ctx, a.ID, []archive.Role{archive.RoleSystemAdmin, archive.RoleSecurityOfficer}, archive.ActorCLI, "合并"); !errors.Is(err, archive.ErrInvalid) {
		t.Errorf("a change to two administrators' roles: %v", err)
	}
}

func TestLoginSessionLogout(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, "li", archive.RoleArchivist)
	secret, sess, got, err := f.s.Login(f.ctx, "LI", "correct horse li", "192.0.2.7")
	if err != nil || got.ID != a.ID || sess.Account != a.ID || !validSecret(secret) {
		t.Fatalf("login: %v", err)
	}
	if sess.ID == secret || strings.Contains(sess.ID, secret[:10]) {
		t.Fatal("the session is stored under its secret")
	}
	s2, a2, err := f.s.Session(f.ctx, secret)
	if err != nil || s2.ID != sess.ID || a2.ID != a.ID {
		t.Fatalf("session: %v", err)
	}
	// A forged or altered secret is no session.
	for _, bad := range []string{"", "x", strings.Repeat("a", 52), secret[:51] + "b", secret + "a", strings.ToUpper(secret)} {
		if bad == secret {
			continue
		}
		if _, _, err := f.s.Session(f.ctx, bad); !errors.Is(err, ErrSessionEnded) {
			t.Errorf("secret %q: %v", bad, err)
		}
	}
	if err := f.s.Logout(f.ctx, secret, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Session(f.ctx, secret); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("after logout: %v", err)
	}
	if err := f.s.Logout(f.ctx, secret, "logout"); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	es := f.entries(t)
	if len(es) != 3 || es[1].Subject != archive.SubjectSession || es[2].Version != 2 || es[2].Actor != a.As() {
		t.Fatalf("entries %+v", es)
	}

	// Expiry: the session ends by itself.
	secret, _, _, err = f.s.Login(f.ctx, "li", "correct horse li", "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advance(f.s.SessionTTL() - time.Second)
	if _, _, err := f.s.Session(f.ctx, secret); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	f.clock.advance(time.Second)
	if _, _, err := f.s.Session(f.ctx, secret); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("at expiry: %v", err)
	}

	// A new password ends the sessions begun before it; disabling ends them all.
	secret, _, _, _ = f.s.Login(f.ctx, "li", "correct horse li", "192.0.2.7")
	f.clock.advance(time.Minute)
	if _, err := f.s.SetPassword(f.ctx, a.ID, "battery staple 2026", true, archive.ActorCLI, "重置"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Session(f.ctx, secret); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("after a new password: %v", err)
	}
	if _, _, _, err := f.s.Login(f.ctx, "li", "correct horse li", "192.0.2.7"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("old password: %v", err)
	}
	secret, _, acc, err := f.s.Login(f.ctx, "li", "battery staple 2026", "192.0.2.7")
	if err != nil || !acc.MustChange {
		t.Fatalf("new password: %v %+v", err, acc)
	}
	if _, err := f.s.SetDisabled(f.ctx, a.ID, true, archive.ActorCLI, "离职"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Session(f.ctx, secret); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("after disabling: %v", err)
	}
	if _, _, _, err := f.s.Login(f.ctx, "li", "battery staple 2026", "192.0.2.8"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("disabled login: %v, want the same answer as a wrong password", err)
	}
}

func TestLoginLimits(t *testing.T) {
	f := newFixture(t)
	f.create(t, "li", archive.RoleArchivist)
	try := func(login, pw, client string) error {
		_, _, _, err := f.s.Login(f.ctx, login, pw, client)
		return err
	}
	// Three free failures, then a delay that grows.
	for i := range 3 {
		if err := try("li", "wrong password", "198.51.100."+string(rune('1'+i))); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if err := try("li", "wrong password", "198.51.100.9"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("4th: %v", err)
	}
	var tm *TooManyError
	if err := try("li", "correct horse li", "198.51.100.10"); !errors.As(err, &tm) || tm.RetryAfter != time.Second {
		t.Fatalf("right after the 4th failure, even with the right password from elsewhere: %v", err)
	}
	f.clock.advance(time.Second)
	if err := try("li", "wrong again", "198.51.100.10"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("5th: %v", err)
	}
	if err := try("li", "correct horse li", "198.51.100.10"); !errors.As(err, &tm) || tm.RetryAfter != 2*time.Second {
		t.Fatalf("after the 5th: %v (want 2s)", err)
	}
	// Not a lockout: after the delay the right password works and clears the count.
	f.clock.advance(2 * time.Second)
	if err := try("li", "correct horse li", "198.51.100.10"); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	if w := f.s.limiter.Wait("account li", f.clock.now()); w != 0 {
		t.Fatalf("count not cleared: %s", w)
	}
	// Per client: one address trying many logins is slowed down whatever login it tries.
	for i := range 4 {
		_ = try("nobody"+string(rune('a'+i)), "guess guess", "203.0.113.5")
	}
	if err := try("li", "correct horse li", "203.0.113.5"); !errors.As(err, &tm) {
		t.Fatalf("a guessing client: %v", err)
	}
	// Delays stop at the ceiling.
	l := NewLimiter()
	now := time.Now()
	var d time.Duration
	for range 40 {
		d = l.Fail("k", now)
	}
	if d != l.Max {
		t.Fatalf("after 40 failures the delay is %s, want the ceiling %s", d, l.Max)
	}
	if l.Wait("k", now.Add(l.Forget+l.Max+time.Second)) != 0 {
		t.Fatal("a quiet day does not forget the count")
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, "li", archive.RoleArchivist)
	tok, acc, err := f.s.IssueToken(f.ctx, a.ID, "笔记本电脑 CLI", 30*24*time.Hour, a.As())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := f.s.accounts.Bytes(f.ctx, a.ID, acc.Version)
	if strings.Contains(string(raw), tok[len(tok)-52:]) {
		t.Fatal("the token's secret is stored")
	}
	got, tk, err := f.s.TokenAccount(f.ctx, tok)
	if err != nil || got.ID != a.ID || tk.Name != "笔记本电脑 CLI" {
		t.Fatalf("token: %v", err)
	}
	for _, bad := range []string{"", tok[:len(tok)-1] + "a", strings.Replace(tok, a.ID, "uaaaaaaaaaaaa", 1), "Bearer " + tok, tok + " "} {
		if bad == tok {
			continue
		}
		if _, _, err := f.s.TokenAccount(f.ctx, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	f.clock.advance(30 * 24 * time.Hour)
	if _, _, err := f.s.TokenAccount(f.ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Fatalf("expired token: %v", err)
	}
	tok2, _, err := f.s.IssueToken(f.ctx, a.ID, "", 0, a.As())
	if err != nil {
		t.Fatal(err)
	}
	_, tk2, err := f.s.TokenAccount(f.ctx, tok2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RevokeToken(f.ctx, a.ID, tk2.ID, a.As(), "丢失"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.TokenAccount(f.ctx, tok2); !errors.Is(err, ErrBadToken) {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestConcurrentCreateOneLogin(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.s.CreateAccount(f.ctx, NewAccount{Login: "same", Name: "同名", Password: "0123456789abc"}, archive.ActorCLI)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrLoginTaken):
			t.Errorf("unexpected: %v", err)
		}
	}
	list, _ := f.s.Accounts(f.ctx)
	if won != 1 || len(list) != 1 {
		t.Fatalf("%d creations won, %d accounts", won, len(list))
	}
}

// A creation cut short after its claim is completed by whoever finds the claim.
func TestClaimWithoutVersionIsCompleted(t *testing.T) {
	f := newFixture(t)
	a := Account{ID: newAccountID(), Version: 1, Login: "half", Name: "半", Password: "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		CreatedAt: f.clock.now(), UpdatedAt: f.clock.now(), PasswordSetAt: f.clock.now(), Actor: archive.ActorCLI}
	b, err := EncodeAccount(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Put(f.ctx, loginClaim("half"), strings.NewReader(string(b)), blob.PutOptions{Size: int64(len(b))}); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.AccountByLogin(f.ctx, "half")
	if err != nil || got.ID != a.ID {
		t.Fatalf("by login: %v", err)
	}
	if _, err := f.s.Account(f.ctx, a.ID); err != nil {
		t.Fatalf("the version was not completed: %v", err)
	}
	if es := f.entries(t); len(es) != 1 {
		t.Fatalf("%d entries", len(es))
	}
}

func TestTrail(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, "insp", archive.RoleInspector)
	e1, err := f.s.Record(f.ctx, TrailEntry{Action: "audit", Detail: "1 234 record versions, clean", Actor: a.As()})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advance(time.Millisecond)
	if _, err := f.s.Record(f.ctx, TrailEntry{Action: "export", Subject: "project CC-2026-001", Actor: a.As()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Record(f.ctx, TrailEntry{Action: "Bad Action", Actor: a.As()}); !errors.Is(err, archive.ErrInvalid) {
		t.Fatalf("bad action: %v", err)
	}
	var got []string
	if err := f.s.Trail(f.ctx, "", func(e TrailEntry) error { got = append(got, e.Action); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "audit,export" {
		t.Fatalf("trail %v", got)
	}
	got = nil
	_ = f.s.Trail(f.ctx, e1.ID, func(e TrailEntry) error { got = append(got, e.Action); return nil })
	if strings.Join(got, ",") != "export" {
		t.Fatalf("trail after the first: %v", got)
	}
	es := f.entries(t)
	if len(es) != 3 || es[1].Subject != archive.SubjectTrail || es[1].Actor != a.As() {
		t.Fatalf("entries %+v", es)
	}
}

func TestAllowed(t *testing.T) {
	acct := func(id string, roles ...archive.Role) Account { return Account{ID: id, Roles: roles} }
	sys, sec, aud := acct("u1", archive.RoleSystemAdmin), acct("u2", archive.RoleSecurityOfficer), acct("u3", archive.RoleAuditor)
	arch := acct("u4", archive.RoleArchivist)
	disabled := acct("u5", archive.RoleSystemAdmin)
	disabled.Disabled = true
	newbie := acct("u9")
	cases := []struct {
		name   string
		by     Account
		change Change
		target Account
		roles  []archive.Role
		ok     bool
	}{
		{"sysadmin creates an archivist", sys, ChangeCreate, newbie, []archive.Role{archive.RoleArchivist}, true},
		{"sysadmin creates without roles", sys, ChangeCreate, newbie, nil, true},
		{"sysadmin cannot create an auditor", sys, ChangeCreate, newbie, []archive.Role{archive.RoleAuditor}, false},
		{"officer cannot create", sec, ChangeCreate, newbie, []archive.Role{archive.RoleArchivist}, false},
		{"archivist cannot create", arch, ChangeCreate, newbie, nil, false},
		{"sysadmin disables an archivist", sys, ChangeDisable, arch, nil, true},
		{"sysadmin cannot disable itself", sys, ChangeDisable, sys, nil, false},
		{"auditor cannot disable", aud, ChangeDisable, arch, nil, false},
		{"sysadmin resets a password", sys, ChangeReset, arch, nil, true},
		{"officer cannot reset", sec, ChangeReset, arch, nil, false},
		{"officer gives roles", sec, ChangeRoles, newbie, []archive.Role{archive.RoleAuditor}, true},
		{"officer cannot give two administrators'", sec, ChangeRoles, newbie, []archive.Role{archive.RoleAuditor, archive.RoleSystemAdmin}, false},
		{"officer cannot change its own roles", sec, ChangeRoles, sec, []archive.Role{archive.RoleSecurityOfficer, archive.RoleArchivist}, false},
		{"sysadmin cannot give roles", sys, ChangeRoles, newbie, []archive.Role{archive.RoleArchivist}, false},
		{"officer revokes a token", sec, ChangeRevokeToken, arch, nil, true},
		{"archivist cannot revoke another's", arch, ChangeRevokeToken, sys, nil, false},
		{"own password", aud, ChangeOwnPassword, aud, nil, true},
		{"not another's password", aud, ChangeOwnPassword, arch, nil, false},
		{"own token", arch, ChangeOwnToken, arch, nil, true},
		{"disabled admin", disabled, ChangeCreate, newbie, nil, false},
	}
	for _, c := range cases {
		err := Allowed(c.by, c.change, c.target, c.roles)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && !errors.Is(err, ErrNotAllowed) && !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("%s: %v is neither ErrNotAllowed nor ErrInvalid", c.name, err)
		}
	}
}
