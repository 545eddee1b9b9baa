package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/ctxio"
)

// Layout under the root directory:
//
//	objects/<key>@   the content, exactly as put; its creation time is the file's
//	                 mtime, and the extended attributes user.gongshi.meta (checksum,
//	                 retention, rewritten only to extend the retention) and
//	                 user.gongshi.hold (present while a legal hold is set) carry its
//	                 lock state
//	tmp/             objects being deleted
//
// Keeping the lock state in extended attributes of the content file makes an object
// one inode. A put writes it as an unnamed file (O_TMPFILE) in the object's
// directory and then links it under its name, which fails if the name exists: the
// object appears whole, with its retention, or not at all, and of racing puts
// exactly one links. Its content is durable before it is linked: by an fsync of the
// file, then of the directories up to the root, or for a deferred put by a syncfs
// shared with concurrent puts, the name following at the next Sync (see put). The
// '@' suffix cannot occur
// in a key (blob.ValidateKey), so the object "a" and the objects under "a/" never
// collide.
const (
	objectsDir = "objects"
	tmpDir     = "tmp"
	objSuffix  = "@"
	metaAttr   = "user.gongshi.meta"
	holdAttr   = "user.gongshi.hold"
	// staleTemp is how old a temporary entry must be before Open removes it; a
	// younger one may belong to a Put running in another process.
	staleTemp = 24 * time.Hour
)

// Options configure a Store.
type Options struct {
	// Now is the clock against which retention dates are enforced; nil means
	// time.Now. Tests inject a fake clock.
	Now func() time.Time
	// Mode is recorded as the retention mode of objects put without one; empty
	// means blob.Compliance. The filesystem store enforces both modes alike.
	Mode blob.Mode
	// NoSync skips fsync. Only for benchmarks that isolate other costs: a crash
	// may then lose objects that Put reported as stored.
	NoSync bool
}

// Store is a blob.Store in a local directory. Several processes may share one
// directory: create-once, holds and deletion are safe across processes.
type Store struct {
	root string
	now  func() time.Time
	mode blob.Mode
	sync bool

	// Concurrent Syncs share flushes: a caller joins the next flush to start,
	// and one goroutine runs flushes while anybody waits.
	syncMu   sync.Mutex
	syncing  bool
	nextSync *syncCall
	syncErr  error // the first failed flush: sticky (see Sync)
	// rootDir is held open from Open to Close: syncfs reports a write-back error
	// to each open file once, so only a file opened before the error sees it.
	rootDir *os.File
	flush   func(*os.File) error // syncFS; tests count the calls
}

// syncCall is one flush of the file system and those who wait for it.
type syncCall struct {
	done chan struct{}
	err  error
}

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Describer = (*Store)(nil)
	_ blob.Syncer    = (*Store)(nil)
)

// meta is the JSON value of the user.gongshi.meta attribute, written at the put
// and again only by ExtendRetention, with a later date.
type meta struct {
	SHA256      string    `json:"sha256,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
	Mode        blob.Mode `json:"mode,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
}

// Open opens (creating when absent) a store rooted at dir.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("blob/fs: open: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: open %s: %w", dir, err)
	}
	if opts.Mode != "" && !opts.Mode.Valid() {
		return nil, fmt.Errorf("blob/fs: open %s: unknown retention mode %q", dir, opts.Mode)
	}
	s := &Store{root: abs, now: opts.Now, mode: opts.Mode, sync: !opts.NoSync, flush: syncFS}
	if s.now == nil {
		s.now = time.Now
	}
	if s.mode == "" {
		s.mode = blob.Compliance
	}
	for _, d := range []string{objectsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o750); err != nil {
			return nil, fmt.Errorf("blob/fs: open %s: %w", dir, err)
		}
	}
	// A durable put syncs the directories up to objects/ (syncPath); the entry of
	// objects/ itself, new in a new store, is made durable here.
	if s.sync {
		if err := syncDir(abs); err != nil {
			return nil, fmt.Errorf("blob/fs: open %s: %w", dir, err)
		}
	}
	if err := probe(filepath.Join(abs, tmpDir)); err != nil {
		return nil, fmt.Errorf("blob/fs: open %s: %w", dir, err)
	}
	s.removeStaleTemps()
	if s.rootDir, err = os.Open(abs); err != nil {
		return nil, fmt.Errorf("blob/fs: open %s: %w", dir, err)
	}
	return s, nil
}

// Describe implements blob.Describer.
func (s *Store) Describe() string { return "fs:" + s.root }

// Close implements blob.Store: it closes the directory held for Sync.
func (s *Store) Close() error { return s.rootDir.Close() }

func (s *Store) objectPath(key string) string {
	return filepath.Join(s.root, objectsDir, filepath.FromSlash(key)+objSuffix)
}

// Put implements blob.Putter.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	info, err := s.put(ctx, key, r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/fs: put %s: %w", key, err)
	}
	return info, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	if opts.Mode != "" && !opts.Mode.Valid() {
		return blob.Info{}, fmt.Errorf("unknown retention mode %q", opts.Mode)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	target := s.objectPath(key)
	// Fail early, before reading the content, when the key is plainly taken; the
	// link below is what decides a race.
	if _, err := os.Lstat(target); err == nil {
		return blob.Info{}, blob.ErrExists
	}
	// The content goes into an unnamed file in the object's own directory: a crash
	// leaves nothing to clean up, and concurrent puts do not contend for one
	// temporary directory. The directory usually exists; it is made only when it
	// does not (and made durable with the object, below).
	parent := filepath.Dir(target)
	f, err := openUnnamed(parent)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.mkdirAll(parent); err != nil {
			return blob.Info{}, err
		}
		f, err = openUnnamed(parent)
	}
	if err != nil {
		return blob.Info{}, err
	}
	defer f.Close()

	m := meta{ContentType: opts.ContentType}
	if !opts.RetainUntil.IsZero() {
		m.RetainUntil = opts.RetainUntil.UTC()
		m.Mode = opts.Mode
		if m.Mode == "" {
			m.Mode = s.mode
		}
	}
	size, sum, err := copyChecked(ctx, f, r, opts)
	if err != nil {
		return blob.Info{}, err
	}
	m.SHA256 = sum
	mb, err := json.Marshal(m)
	if err != nil {
		return blob.Info{}, err
	}
	if err := setxattr(f, metaAttr, mb); err != nil {
		return blob.Info{}, err
	}
	if opts.LegalHold {
		if err := setxattr(f, holdAttr, []byte("1")); err != nil {
			return blob.Info{}, err
		}
	}
	created := s.now()
	if err := setMtime(f, created); err != nil {
		return blob.Info{}, err
	}
	// The content is durable before it gets a name, so that a name never survives
	// a power failure without its bytes (delayed allocation would let the link
	// reach the disk first, and the object would come back empty, create-once and
	// beyond repair). A deferred put shares one syncfs with every other put and
	// Sync in flight (which also makes the directories above it durable); its name
	// becomes durable at the next Sync. Any subset of deferred objects may thus
	// survive a power failure, each of them whole.
	switch {
	case !s.sync:
	case opts.Deferred:
		if err := s.syncShared(ctx); err != nil {
			return blob.Info{}, fmt.Errorf("flushing the content: %w", err)
		}
	default:
		if err := f.Sync(); err != nil {
			return blob.Info{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	if err := linkUnnamed(f, target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return blob.Info{}, blob.ErrExists
		}
		return blob.Info{}, err
	}
	if s.sync && !opts.Deferred {
		if err := s.syncPath(parent); err != nil {
			return blob.Info{}, err
		}
	}
	return blob.Info{Key: key, Size: size, ModTime: created}, nil
}

// syncPath makes the entries of dir and of every directory above it, up to the
// store's root, durable: a durable object must not hang from a directory that a
// deferred put (of this or another process) made and has not synced yet. Durable
// puts are few (large content, ledger batches and checkpoints, projects), so the
// extra flushes of their few ancestors cost little.
func (s *Store) syncPath(dir string) error {
	stop := filepath.Join(s.root, objectsDir)
	for {
		if err := syncDir(dir); err != nil {
			return err
		}
		if dir == stop || !strings.HasPrefix(dir, stop) {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// copyChecked copies r into f, checking size and checksum as opts ask, and
// returns the size and the hex SHA-256 (when one was checked).
func copyChecked(ctx context.Context, f io.Writer, r io.Reader, opts blob.PutOptions) (int64, string, error) {
	var h hash.Hash
	w := f
	if opts.SHA256 != nil {
		h = sha256.New()
		w = io.MultiWriter(f, h)
	}
	src := ctxio.Reader(ctx, r)
	if opts.Size >= 0 {
		// One byte more than declared reveals a reader that runs long.
		src = io.LimitReader(src, opts.Size+1)
	}
	n, err := io.Copy(w, src)
	if err != nil {
		return 0, "", err
	}
	if opts.Size >= 0 && n != opts.Size {
		return 0, "", fmt.Errorf("%w: read %d bytes, declared size %d", blob.ErrChecksum, n, opts.Size)
	}
	if h == nil {
		return n, "", nil
	}
	got := h.Sum(nil)
	if !bytes.Equal(got, opts.SHA256) {
		return 0, "", fmt.Errorf("%w: sha256 %x, declared %x", blob.ErrChecksum, got, opts.SHA256)
	}
	return n, hex.EncodeToString(got), nil
}

func (s *Store) syncFile(f *os.File) error {
	if !s.sync {
		return nil
	}
	return f.Sync()
}

func (s *Store) syncDir(dir string) error {
	if !s.sync {
		return nil
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Sync implements blob.Syncer: it flushes the whole file system the store is on
// (syncfs), which makes every deferred object visible in the store durable, from
// this process or another, new directories included, at the cost of one journal
// commit. Other writers' data on the same file system is flushed too; a store on a
// volume of its own pays only for its own.
//
// A failed flush fails every later Sync of this Store: the kernel reports a
// write-back error once, and the pages it could not write may be gone from the
// cache while the objects look stored. Reopen the store (a new process) to go
// on; the objects a re-run finds are read back and checked where they are used.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.syncShared(ctx); err != nil {
		return fmt.Errorf("blob/fs: sync: %w", err)
	}
	return nil
}

// syncShared joins the next flush to start, or starts one.
func (s *Store) syncShared(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.sync {
		return nil
	}
	// The flush this call joins starts after the call did, so it covers every
	// put that returned before.
	s.syncMu.Lock()
	c := s.nextSync
	if c == nil {
		c = &syncCall{done: make(chan struct{})}
		s.nextSync = c
	}
	lead := !s.syncing
	s.syncing = true
	s.syncMu.Unlock()
	if lead {
		go s.runSyncs() // not on this goroutine: it would serve others indefinitely
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runSyncs flushes the file system for the waiting callers, again and again while
// more arrive during a flush.
func (s *Store) runSyncs() {
	for {
		s.syncMu.Lock()
		c := s.nextSync
		s.nextSync = nil
		if c == nil {
			s.syncing = false
			s.syncMu.Unlock()
			return
		}
		failed := s.syncErr
		s.syncMu.Unlock()
		if failed != nil {
			c.err = fmt.Errorf("an earlier flush failed, and this store can no longer promise durability: %w", failed)
		} else if c.err = s.flush(s.rootDir); c.err != nil {
			s.syncMu.Lock()
			s.syncErr = c.err
			s.syncMu.Unlock()
		}
		close(c.done)
	}
}

// mkdirAll creates dir and its missing parents below the root. The new entries
// become durable with the object put into them (put: syncPath or Sync).
func (s *Store) mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir && strings.HasPrefix(parent, s.root) {
		if err := s.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// Get implements blob.Getter.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("blob/fs: get %s: %w", key, err)
	}
	f, err := os.Open(s.objectPath(key))
	if err != nil {
		return nil, fmt.Errorf("blob/fs: get %s: %w", key, notFound(err))
	}
	return f, nil
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return blob.ErrNotFound
	}
	return err
}

func info(key string, fi os.FileInfo) blob.Info {
	return blob.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}
}

// Stat implements blob.Getter.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("blob/fs: stat %s: %w", key, err)
	}
	fi, err := os.Lstat(s.objectPath(key))
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/fs: stat %s: %w", key, notFound(err))
	}
	return info(key, fi), nil
}

// Retention implements blob.Locker.
func (s *Store) Retention(ctx context.Context, key string) (blob.Retention, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Retention{}, fmt.Errorf("blob/fs: retention %s: %w", key, err)
	}
	f, err := os.Open(s.objectPath(key))
	if err != nil {
		return blob.Retention{}, fmt.Errorf("blob/fs: retention %s: %w", key, notFound(err))
	}
	defer f.Close()
	r, err := retention(f)
	if err != nil {
		return blob.Retention{}, fmt.Errorf("blob/fs: retention %s: %w", key, err)
	}
	return r, nil
}

// readMeta reads the meta attribute of an open object.
func readMeta(f *os.File) (meta, error) {
	var m meta
	b, err := getxattr(f, metaAttr)
	if err != nil {
		return meta{}, fmt.Errorf("attribute %s: %w", metaAttr, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return meta{}, fmt.Errorf("corrupt attribute %s: %w", metaAttr, err)
	}
	return m, nil
}

// retention reads the lock state from the attributes of an open object.
func retention(f *os.File) (blob.Retention, error) {
	m, err := readMeta(f)
	if err != nil {
		return blob.Retention{}, err
	}
	r := blob.Retention{Until: m.RetainUntil, Mode: m.Mode}
	_, err = getxattr(f, holdAttr)
	switch {
	case err == nil:
		r.LegalHold = true
	case !errors.Is(err, errNoAttr):
		return blob.Retention{}, fmt.Errorf("attribute %s: %w", holdAttr, err)
	}
	return r, nil
}

// lockObject opens the object and takes its exclusive lock, which serialises holds
// and deletion across processes. It fails with blob.ErrNotFound when the object is
// absent, or was deleted (and perhaps created anew) while we waited for the lock.
// Closing the file releases the lock.
func (s *Store) lockObject(key string) (*os.File, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	path := s.objectPath(key)
	f, err := os.Open(path)
	if err != nil {
		return nil, notFound(err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, err
	}
	held, err := f.Stat()
	if err == nil {
		var now os.FileInfo
		if now, err = os.Lstat(path); err == nil && !os.SameFile(held, now) {
			err = blob.ErrNotFound
		}
	}
	if err != nil {
		f.Close()
		return nil, notFound(err)
	}
	return f, nil
}

// SetLegalHold implements blob.Locker.
func (s *Store) SetLegalHold(ctx context.Context, key string, on bool) error {
	if err := s.setLegalHold(key, on); err != nil {
		return fmt.Errorf("blob/fs: set legal hold %s: %w", key, err)
	}
	return nil
}

func (s *Store) setLegalHold(key string, on bool) error {
	f, err := s.lockObject(key)
	if err != nil {
		return err
	}
	defer f.Close()
	if on {
		err = setxattr(f, holdAttr, []byte("1"))
	} else if err = removexattr(f, holdAttr); errors.Is(err, errNoAttr) {
		err = nil
	}
	if err != nil {
		return err
	}
	return s.syncFile(f)
}

// ExtendRetention implements blob.Locker. The later date replaces the one in the
// object's meta attribute, under the object's lock, so that two extensions racing
// keep the later of the two. It is not flushed here: the next Sync (syncfs) makes
// it durable with everything else, as the contract allows; filing extends the lock
// of content that a deferred put stored moments before, and one flush serves both.
func (s *Store) ExtendRetention(ctx context.Context, key string, until time.Time) error {
	if err := s.extendRetention(key, until); err != nil {
		return fmt.Errorf("blob/fs: extend retention %s: %w", key, err)
	}
	return nil
}

func (s *Store) extendRetention(key string, until time.Time) error {
	f, err := s.lockObject(key)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := readMeta(f)
	if err != nil {
		return err
	}
	until = until.UTC()
	if !m.RetainUntil.Before(until) {
		return nil // as long already: a lock only grows
	}
	m.RetainUntil = until
	if m.Mode == "" {
		m.Mode = s.mode
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return setxattr(f, metaAttr, mb)
}

// Delete implements blob.Deleter.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.delete(key); err != nil {
		return fmt.Errorf("blob/fs: delete %s: %w", key, err)
	}
	return nil
}

func (s *Store) delete(key string) error {
	f, err := s.lockObject(key)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := retention(f)
	if err != nil {
		return err
	}
	if r.Locked(s.now()) {
		if r.LegalHold {
			return fmt.Errorf("%w: legal hold set", blob.ErrLocked)
		}
		return fmt.Errorf("%w: retained until %s", blob.ErrLocked, r.Until.Format(time.RFC3339))
	}
	// Move the object out of sight in one step, then remove it: a crash in between
	// leaves only a temporary file, never a visible half-deleted object.
	trash, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "del-")
	if err != nil {
		return err
	}
	trash.Close()
	target := s.objectPath(key)
	if err := os.Rename(target, trash.Name()); err != nil {
		os.Remove(trash.Name())
		return err
	}
	if err := s.syncDir(filepath.Dir(target)); err != nil {
		return err
	}
	// The trash keeps the object's old mtime, so another process's Open may have
	// cleared it as stale already: gone is what we want.
	if err := os.Remove(trash.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List implements blob.Lister. Each directory's entries are read whole and sorted,
// so memory grows with the largest directory, not with the number of keys.
func (s *Store) List(ctx context.Context, prefix, after string, fn func(blob.Info) error) error {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("blob/fs: list %s: %w", prefix, err)
	}
	// Start in the deepest directory that the prefix names completely.
	dirKey := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dirKey = prefix[:i+1]
	}
	return s.walk(ctx, dirKey, prefix, after, fn)
}

// entry is a directory entry with the string it sorts by: a key for an object,
// the key prefix ending in '/' for a directory. Sorting by it makes a depth-first
// walk yield keys in ascending byte order.
type entry struct {
	sortKey string
	object  bool
}

func (s *Store) walk(ctx context.Context, dirKey, prefix, after string, fn func(blob.Info) error) error {
	dir := filepath.Join(s.root, objectsDir, filepath.FromSlash(dirKey))
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing under this prefix, or removed while we listed
	}
	if err != nil {
		return fmt.Errorf("blob/fs: list: %w", err)
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if key, ok := strings.CutSuffix(name, objSuffix); ok && de.Type().IsRegular() {
			entries = append(entries, entry{dirKey + key, true})
		} else if de.IsDir() {
			entries = append(entries, entry{dirKey + name + "/", false})
		}
	}
	des = nil
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.sortKey, b.sortKey) })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.object {
			if !strings.HasPrefix(e.sortKey, prefix) || e.sortKey <= after {
				continue
			}
			fi, err := os.Lstat(filepath.Join(dir, filepath.Base(e.sortKey)+objSuffix))
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted while we listed
			}
			if err != nil {
				return fmt.Errorf("blob/fs: list: %w", err)
			}
			if err := fn(info(e.sortKey, fi)); err != nil {
				return err
			}
			continue
		}
		sub := e.sortKey
		if !strings.HasPrefix(sub, prefix) && !strings.HasPrefix(prefix, sub) {
			continue
		}
		if sub < after && !strings.HasPrefix(after, sub) {
			continue // every key below sorts before after
		}
		if err := s.walk(ctx, sub, prefix, after, fn); err != nil {
			return err
		}
	}
	return nil
}

// removeStaleTemps clears what crashed Puts and Deletes left behind.
func (s *Store) removeStaleTemps() {
	dir := filepath.Join(s.root, tmpDir)
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if fi, err := de.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.RemoveAll(filepath.Join(dir, de.Name()))
		}
	}
}
