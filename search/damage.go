package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// Damage.
//
// The index is derived: damage to its files loses nothing, but it must never make
// a search answer wrongly or fail with the internals of bleve. Every zap segment
// file ends with a CRC-32 of all its other bytes; a generation is checked against
// them in full when it is opened (at Open, and when a rebuilt one is swapped in),
// when a query fails or faults on it (a decoder's error, an index out of range,
// a fault in the memory map of a truncated file), and every Options.VerifyEvery
// while Follow runs. A generation found damaged is marked (DAMAGED in its
// directory), taken out of service at once, and rebuilt from the source in the
// background; meanwhile the index answers from the previous generation, caught up
// with the ledger, when it is whole, and otherwise ErrUnavailable.

// ErrUnavailable: the index cannot answer now: it was found damaged and is being
// rebuilt from the archive. Try again later; nothing is lost (the ledger is the
// record). A server answers 503.
var ErrUnavailable = errors.New("the search index is being rebuilt; try again in a few minutes")

// ErrDamaged: a generation's files are not what was written (a segment whose
// checksum does not match, a file missing or cut short).
var ErrDamaged = errors.New("search index damaged")

// errFault: reading the index panicked (bleve's decoders on bad bytes, or a
// fault in the memory map of a file cut short): a sign of damage, to be checked.
var errFault = errors.New("reading the search index failed")

// damagedMark is the file that marks a generation found damaged.
const damagedMark = "DAMAGED"

// guarded runs fn so that a panic or a memory fault while it reads the index is
// an error wrapping errFault rather than the end of the process.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errFault, p)
		}
	}()
	return fn()
}

// fileSegment is a segment kept in a file whose last four bytes are the CRC-32
// (IEEE) of the others, as zap writes it; CRC is what the footer said at open.
type fileSegment interface {
	Path() string
	CRC() uint32
}

// checkSegmentFile reads path in full and checks it against its checksum and
// against the checksum it had when it was opened (want).
func checkSegmentFile(path string, want uint32) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < 4 {
		return fmt.Errorf("%w: %s is cut short (%d bytes)", ErrDamaged, filepath.Base(path), fi.Size())
	}
	h := crc32.NewIEEE()
	if _, err := io.CopyN(h, f, fi.Size()-4); err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrDamaged, filepath.Base(path), err)
	}
	var foot [4]byte
	if _, err := io.ReadFull(f, foot[:]); err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrDamaged, filepath.Base(path), err)
	}
	stored := binary.BigEndian.Uint32(foot[:])
	switch {
	case stored != want:
		return fmt.Errorf("%w: %s changed since it was opened (checksum %08x, was %08x)", ErrDamaged, filepath.Base(path), stored, want)
	case h.Sum32() != stored:
		return fmt.Errorf("%w: %s does not match its checksum (%08x, written %08x)", ErrDamaged, filepath.Base(path), h.Sum32(), stored)
	}
	return nil
}

// verify checks every segment file of g against its checksum. A file that is
// gone is damage only if the shard still uses it (scorch removes the files of
// segments merged away, possibly while a view holds them).
func (g *generation) verify() error {
	var gone []string
	for attempt := 0; attempt < 2; attempt++ {
		v, err := acquire(g.shards, &caches{})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		var files []fileSegment
		for _, sv := range v.segs {
			if fs, ok := sv.seg.(fileSegment); ok {
				files = append(files, fs)
			}
		}
		stillUsed := func(path string) bool {
			for _, fs := range files {
				if fs.Path() == path {
					return true
				}
			}
			return false
		}
		if attempt == 1 {
			for _, p := range gone {
				if stillUsed(p) {
					v.release()
					return fmt.Errorf("%w: %s is missing", ErrDamaged, filepath.Base(p))
				}
			}
			v.release()
			return nil
		}
		gone = nil
		for _, fs := range files {
			err := checkSegmentFile(fs.Path(), fs.CRC())
			switch {
			case errors.Is(err, os.ErrNotExist):
				gone = append(gone, fs.Path())
			case err != nil:
				v.release()
				return err
			}
		}
		v.release()
		if len(gone) == 0 {
			return nil
		}
	}
	return nil
}

// markDamaged marks the generation in gdir as damaged, saying why.
func markDamaged(gdir string, cause error) {
	_ = os.WriteFile(filepath.Join(gdir, damagedMark), []byte(time.Now().UTC().Format(time.RFC3339)+" "+cause.Error()+"\n"), 0o640)
}

// isMarkedDamaged reports whether the generation in gdir was found damaged.
func isMarkedDamaged(gdir string) bool {
	_, err := os.Stat(filepath.Join(gdir, damagedMark))
	return err == nil
}

// Verify checks the live generation's files against their checksums. Damage
// takes the generation out of service and starts a rebuild in the background;
// the error wraps ErrDamaged.
func (ix *Index) Verify(ctx context.Context) error {
	g, err := ix.hold()
	if err != nil {
		return err
	}
	verr := g.verify()
	g.refs.RUnlock()
	if verr != nil {
		ix.damaged(g, verr)
	}
	return verr
}

// suspect is called when a query on g failed with err: if g's files turn out
// damaged, g is taken out of service and the caller answers ErrUnavailable. One
// check at a time, and none again within a minute of a clean one, so that a
// failing query that is not about damage does not read the index each time.
func (ix *Index) suspect(g *generation, err error) error {
	if errors.Is(err, ErrBadRequest) || errors.Is(err, ErrClosed) || errors.Is(err, ErrUnavailable) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	g.checkMu.Lock()
	if g.damage == nil && time.Since(g.checked) > time.Minute {
		g.damage = g.verify()
		g.checked = time.Now()
	}
	damage := g.damage
	g.checkMu.Unlock()
	if damage == nil {
		if errors.Is(err, errFault) {
			// A fault with whole files: bleve's own failure; say no more than that.
			ix.opts.Log.Error("search: a query faulted on an index whose files are whole", "err", err)
		}
		return err
	}
	ix.damaged(g, damage)
	return fmt.Errorf("search: %w", ErrUnavailable)
}

// damaged takes g out of service because of cause, marks it, and starts the
// recovery in the background (unless it runs already).
func (ix *Index) damaged(g *generation, cause error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() || ix.gen.Load() != g {
		return // handled already, or swapped out meanwhile
	}
	ix.opts.Log.Error("search index damaged: taken out of service, rebuilding from the archive", "generation", g.name, "err", cause)
	markDamaged(g.dir, cause)
	ix.gen.Store(nil)
	ix.nextDue.Store(0)
	ix.version.Add(1)
	ix.setStatus(func(s *Status) { s.Damage = cause.Error() })
	go g.close() // waits for the searches that hold it
	ix.recoverInBackground()
}

// recoverInBackground starts, unless it runs already, what brings a damaged
// index back: the previous generation, when it is whole, caught up and served
// at once; then a rebuild from the source, swapped in when complete. Called with
// ix.mu held.
func (ix *Index) recoverInBackground() {
	if ix.recovering {
		return
	}
	ix.recovering = true
	ix.setStatus(func(s *Status) { s.Rebuilding = true })
	ix.bg.Add(1)
	go func() {
		defer ix.bg.Done()
		err := ix.recover(ix.bgCtx)
		ix.mu.Lock()
		defer ix.mu.Unlock()
		ix.recovering = false
		ix.setStatus(func(s *Status) {
			s.Rebuilding = false
			if err == nil {
				s.Damage = ""
			}
		})
		if err != nil && ix.bgCtx.Err() == nil {
			ix.opts.Log.Error("search: rebuilding the damaged index failed; the next poll tries again", "err", err)
		}
	}()
}

func (ix *Index) recover(ctx context.Context) error {
	// The previous generation answers meanwhile, unless a generation is live
	// already (Open serves the previous one when it finds the current damaged).
	if ix.gen.Load() == nil {
		if prev, err := ix.openPrevious(); err == nil {
			if err := ix.serveCaughtUp(ctx, prev); err != nil {
				prev.close()
				ix.opts.Log.Warn("search: the previous generation cannot be used", "generation", prev.name, "err", err)
			} else {
				ix.opts.Log.Info("search: answering from the previous generation while rebuilding", "generation", prev.name)
			}
		}
	}
	rep, err := rebuild(ctx, ix.opts)
	if err != nil {
		return err
	}
	g, err := openGeneration(ix.opts.Dir, rep.Generation)
	if err != nil {
		return err
	}
	if err := ix.serveCaughtUp(ctx, g); err != nil {
		g.close()
		return err
	}
	return nil
}

// serveCaughtUp brings g up to date with the source and makes it the live
// generation, closing the one it replaces (removed unless it is the previous).
func (ix *Index) serveCaughtUp(ctx context.Context, g *generation) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() {
		return ErrClosed
	}
	if err := ix.loadSchedule(g); err != nil {
		return err
	}
	for {
		n, err := ix.pollOn(ctx, g)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	old := ix.gen.Swap(g)
	ix.updateDue(g)
	ix.setStatus(func(*Status) {})
	if old != nil && old != g {
		ix.retire(old)
	}
	return nil
}

// retire closes a generation that is no longer live, once its searches are done,
// and removes it unless it is kept as the previous one.
func (ix *Index) retire(old *generation) {
	keep := readPrevious(ix.opts.Dir) == old.name && !isMarkedDamaged(old.dir)
	go func() {
		old.close()
		if keep {
			return
		}
		if err := os.RemoveAll(old.dir); err != nil {
			ix.opts.Log.Warn("search: removing the old index", "dir", old.dir, "err", err)
		}
	}()
}

// openPrevious opens the generation kept from before the last rebuild, checked.
func (ix *Index) openPrevious() (*generation, error) {
	name := readPrevious(ix.opts.Dir)
	if name == "" {
		return nil, os.ErrNotExist
	}
	return openGeneration(ix.opts.Dir, name)
}

// readPrevious returns the name of the previous generation, or "".
func readPrevious(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "previous"))
	if err != nil {
		return ""
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "g-") || strings.ContainsAny(name, `/\`) {
		return ""
	}
	return name
}
