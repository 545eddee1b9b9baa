package households

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// fixture is the households of a real archive and ledger on the filesystem store,
// with a clock the test sets.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store blob.Store
	dir   string // the fs store's root
	a     *archive.Archive
	led   *ledger.Log
	s     *Service
	mu    sync.Mutex
	at    time.Time
	n     int
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

// setDay moves the clock to 10:00 in China on day d.
func (f *fixture) setDay(d archive.Date) {
	f.mu.Lock()
	f.at = time.Date(d.Year, d.Month, d.Day, 2, 0, 0, 0, time.UTC)
	f.mu.Unlock()
}

// testHasher is Argon2id at the smallest cost, for tests only: the hashing is
// real (a wrong code fails), the cost is not.
type testHasher struct{}

func (testHasher) Hash(_ context.Context, s string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	k := argon2.IDKey([]byte(s), salt, 1, 64, 1, 32)
	return "t$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(k), nil
}

func (testHasher) Verify(_ context.Context, stored, s string) error {
	parts := strings.Split(stored, "$")
	if len(parts) != 3 {
		return errors.New("bad hash")
	}
	salt, _ := base64.RawStdEncoding.DecodeString(parts[1])
	want, _ := base64.RawStdEncoding.DecodeString(parts[2])
	if subtle.ConstantTimeCompare(argon2.IDKey([]byte(s), salt, 1, 64, 1, 32), want) != 1 {
		return errors.New("mismatch")
	}
	return nil
}

func (testHasher) Burn(context.Context, string) {}

const project = "CC-2026-001"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := fs.Open(filepath.Join(dir, "store"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := ledger.GenerateKeyFile(filepath.Join(dir, "ledger.key"), "households.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), store: st, dir: filepath.Join(dir, "store")}
	f.setDay(archive.D(2026, 3, 2))
	f.led = ledger.New(st, ledger.Options{Key: key})
	f.a = archive.New(st, archive.Options{Now: f.now, Journal: f.led, Actor: archive.ActorCLI})
	f.s, err = New(f.a, Options{Now: f.now, Hasher: testHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.CreateProject(f.ctx, archive.Project{Code: project, Name: "南关区东天街片区旧城区改建项目",
		City: "长春市", District: "南关区", Department: "长春市房屋征收经办中心", Category: archive.CategoryOldCityRenewal}); err != nil {
		t.Fatal(err)
	}
	return f
}

// file files a record of project with content, as ingest would.
func (f *fixture) file(r archive.Record) archive.Record {
	f.t.Helper()
	f.n++
	body := fmt.Sprintf("%%PDF-1.7\n%% %s %d\n%%%%EOF\n", r.Title, f.n)
	d, err := f.a.PutContent(f.ctx, bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		f.t.Fatal(err)
	}
	if r.Project == "" {
		r.Project = project
	}
	r.Content, r.Format, r.FileName = d, "pdf", r.Title+".pdf"
	if r.Issuer == "" {
		r.Issuer = "长春市房屋征收经办中心"
	}
	if r.Date.IsZero() {
		r.Date = archive.DateOf(f.now())
	}
	rec, err := f.a.CreateRecord(f.ctx, r)
	if err != nil {
		f.t.Fatal(err)
	}
	return rec
}

// entries counts the ledger's entries about subjects of kind k.
func (f *fixture) entries(k archive.SubjectKind) int {
	f.t.Helper()
	n := 0
	if err := f.led.Entries(f.ctx, func(_ int64, b []byte) error {
		e, err := ledger.ParseEntry(b)
		if err != nil {
			return err
		}
		if kind, _ := e.Ref(); kind == k {
			n++
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// registerCSV is a register of three households, with a canary in every
// private and masked value.
const registerCSV = "户号,户主,身份证号,联系电话,房屋坐落,建筑面积（平方米）,产权性质,备注\n" +
	"0001,张三丰,220102195001011234,13900000001,南关区东天街88号5栋3单元402室,86.50,私有,电话13900000009\n" +
	"0002,欧阳明月,220102196002022345,13900000002,南关区东天街88号6栋1单元101室,64.2,私有,\n" +
	"0003,李四,220102197003033456,13900000003,南关区东天街90号,120,公有,低保户\n"

// registerPolicy declares the register's columns as a department would.
var registerPolicy = Policy{Public: []string{"户号", "建筑面积（平方米）", "产权性质"}, Masked: []string{"户主", "房屋坐落"}}

func (f *fixture) register() Register {
	f.t.Helper()
	r, err := f.s.ImportRegister(f.ctx, project, []byte(registerCSV), ImportOptions{Name: "登记表.csv", Policy: registerPolicy}, archive.AccountActor("u-1"), "")
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func digestOf(b []byte) archive.Hash { return sha256.Sum256(b) }
