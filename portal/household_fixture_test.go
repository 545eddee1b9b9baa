package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
)

// hhFixture is the portal with the residents' pages over a real archive,
// households and requests.
type hhFixture struct {
	*fixture
	hs    *households.Service
	rs    *requests.Service
	trail *memTrail
	back  *countingBackoff
	codes map[string]string // household → its query code
}

// testHasher is Argon2id at the smallest cost (the real hashing, not its cost).
type testHasher struct{}

func (testHasher) Hash(_ context.Context, s string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	return base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(s), salt, 1, 64, 1, 32)), nil
}

func (testHasher) Verify(_ context.Context, stored, s string) error {
	a, b, _ := strings.Cut(stored, "$")
	salt, _ := base64.RawStdEncoding.DecodeString(a)
	want, _ := base64.RawStdEncoding.DecodeString(b)
	if subtle.ConstantTimeCompare(argon2.IDKey([]byte(s), salt, 1, 64, 1, 32), want) != 1 {
		return errors.New("mismatch")
	}
	return nil
}

func (testHasher) Burn(context.Context, string) {}

// countingBackoff doubles the delay after two free failures per key, like the
// staff limiter, and remembers which keys failed.
type countingBackoff struct {
	mu    sync.Mutex
	fails map[string]int
	until map[string]time.Time
}

func (b *countingBackoff) Wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.until[key].Sub(now), 0)
}

func (b *countingBackoff) Fail(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails[key]++
	d := time.Duration(0)
	if n := b.fails[key] - 2; n > 0 {
		d = time.Second << (n - 1)
	}
	b.until[key] = now.Add(d)
	return d
}

func (b *countingBackoff) Succeed(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.fails, key)
	delete(b.until, key)
}

// memTrail keeps the staff reads it was told of.
type memTrail struct {
	mu    sync.Mutex
	reads []string
}

func (m *memTrail) RecordRead(_ context.Context, actor archive.Actor, action, subject, client string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads = append(m.reads, fmt.Sprintf("%s %s %s", actor, action, subject))
	return nil
}

const hhProject = "CC-2026-001"

// The register of the fixture: two households with canaries in every private
// and masked column.
const hhRegister = "户号,户主,身份证号,联系电话,房屋坐落,建筑面积,产权性质,备注\n" +
	"0001,张甲CANARYHEADA,220102195001011111,13900000111,东天街88号5栋CANARYADDRA,86.5,私有,CANARYNOTEA 电话13911112222\n" +
	"0002,李乙CANARYHEADB,220102196002022222,13900000222,东天街88号6栋CANARYADDRB,64.2,私有,CANARYNOTEB\n" +
	"0003,王丙,220102197003033333,13900000333,东天街90号,120,公有,\n"

func newHHFixture(t *testing.T) *hhFixture {
	t.Helper()
	f := &hhFixture{trail: &memTrail{}, back: &countingBackoff{fails: map[string]int{}, until: map[string]time.Time{}}, codes: map[string]string{}}
	var err error
	f.fixture = newFixture(t, func(o *Options) {
		a := o.Archive.(*archive.Archive)
		f.hs, err = households.New(a, households.Options{Now: o.Now, Hasher: testHasher{}})
		if err != nil {
			t.Fatal(err)
		}
		f.rs, err = requests.New(a, requests.Options{Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Authenticators = append(o.Authenticators, AuthenticatorFunc(func(r *http.Request) (Viewer, bool, error) {
			role := r.Header.Get("X-Test-Staff")
			if role == "" {
				return Viewer{}, false, nil
			}
			return Viewer{Kind: ViewerStaff, Account: "u-test", Roles: []archive.Role{archive.Role(role)}}, true, nil
		}))
		o.Households = &HouseholdOptions{Households: f.hs, Requests: f.rs, SessionKey: []byte(strings.Repeat("k", 32)),
			Backoff: f.back, Trail: f.trail}
	})
	// The index reads the archive's state, as gongshi serve's does: records
	// are seen once published, tables and grants with them.
	f.idx = NewScanIndex(f.arch, f.led, func(ctx context.Context, r archive.Record) (archive.RecordState, error) {
		return f.arch.RecordState(ctx, r.ID)
	}, f.clock.now)
	f.srv.opts.Index = f.idx
	f.project(hhProject, "东天街片区旧城区改建项目", "长春市", "南关区")
	f.project("JL-2026-003", "站前片区棚户区改造项目", "吉林市", "船营区")
	f.codes = seedHouseholds(t, f.hs)
	return f
}

// publish publishes records and brings the index up to date.
func (f *hhFixture) publish(recs ...archive.Record) {
	f.t.Helper()
	for _, r := range recs {
		if _, err := f.arch.Publish(f.ctx, r.ID, archive.ActorCLI, ""); err != nil {
			f.t.Fatal(err)
		}
	}
	f.refresh()
}

// browser is a client with a cookie jar and the address it came from.
type browser struct {
	f       *hhFixture
	cookies map[string]*http.Cookie
	addr    string
	role    archive.Role
}

func (f *hhFixture) browser(addr string) *browser {
	return &browser{f: f, cookies: map[string]*http.Cookie{}, addr: addr}
}

func (b *browser) send(req *http.Request) *httptest.ResponseRecorder {
	req.RemoteAddr = b.addr + ":1234"
	if b.role != "" {
		req.Header.Set("X-Test-Staff", string(b.role))
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.f.srv.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

// staff makes the browser a staff member with role (the test authenticator).
func (b *browser) staff(role archive.Role) *browser { b.role = role; return b }

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.send(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf fetches page and returns its form token.
func (b *browser) csrf(page string) string {
	b.f.t.Helper()
	w := b.get(page)
	m := csrfRe.FindStringSubmatch(w.Body.String())
	if m == nil {
		b.f.t.Fatalf("%s: no form token (status %d)", page, w.Code)
	}
	return m[1]
}

// login logs the browser in as household hh with code.
func (b *browser) login(hh, code string) *httptest.ResponseRecorder {
	return b.post("/household/login", url.Values{"csrf": {b.csrf("/household")}, "project": {hhProject}, "household": {hh}, "code": {code}})
}

func httptestPost(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
