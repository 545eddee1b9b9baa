package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// Kinds of damage Check names. An authoritative object (a batch, a checkpoint) can
// only be restored from a copy; a derived one (a tile, a lookup key) is rebuilt
// from the batches by Repair.
const (
	BatchMissing           = "ledger_batch_missing"    // entries covered by a signed checkpoint are in no batch
	BatchAltered           = "ledger_batch_altered"    // a batch holds bytes that are not its entries
	BatchExtra             = "ledger_batch_extra"      // an object under ledger/batch/ that is no batch of the log
	EntryAltered           = "ledger_entry_altered"    // an entry differs from the one the signed tree covers
	CheckpointMissing      = "checkpoint_missing"      // a batch has no signed checkpoint
	CheckpointAltered      = "checkpoint_altered"      // the object is not a checkpoint validly signed by the key
	CheckpointForged       = "checkpoint_forged"       // a checkpoint signed by another key, or by none
	CheckpointMisnamed     = "checkpoint_misnamed"     // a valid checkpoint stored under another size's key
	CheckpointInconsistent = "checkpoint_inconsistent" // two signed checkpoints that are not of one history
	CheckpointExtra        = "checkpoint_extra"        // an object under ledger/checkpoint/ that is no checkpoint key
	TileMissing            = "tile_missing"            // derived: a hash tile that is not stored
	TileAltered            = "tile_altered"            // derived: a hash tile whose hashes are not the tree's
	TileExtra              = "tile_extra"              // derived: an object under ledger/tile/ that is no tile
	LookupKeyMissing       = "lookup_key_missing"      // derived: an entry without its ledger/by-<kind>/ key
	LookupKeyAltered       = "lookup_key_altered"      // derived: a lookup key that points elsewhere
	LookupKeyExtra         = "lookup_key_extra"        // derived: a lookup key for no entry of the log
)

// What a finding's object held when Check looked, besides the digest of its bytes.
const (
	Absent  = "absent"
	Present = "present"
)

// Seen is how a finding records the bytes it saw: their SHA-256.
func Seen(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// DefaultInFlight is how long an object a writer is still completing may look
// unfinished: a batch without its checkpoint, a record without its entry. An
// append takes well under a second; the bound leaves room for a writer that waits
// for its turn, a slow store, and clocks a little apart.
const DefaultInFlight = 10 * time.Minute

// Finding is one thing Check found wrong with the stored ledger.
type Finding struct {
	Kind string `json:"kind"`
	// Key is the object concerned (for EntryAltered, "ledger entry N"; the batch
	// that holds it is in Detail).
	Key    string `json:"key"`
	Detail string `json:"detail"`
	// Want says what the object should be.
	Want string `json:"want,omitempty"`
	// Derived: the object is rebuilt from the batches by Repair.
	Derived bool `json:"derived,omitempty"`
	// Blocks: while the object is damaged the log appends nothing (ErrDamaged).
	Blocks bool `json:"blocks_appends,omitempty"`
	// Index is the entry concerned, or -1; for a batch, its first entry, and End
	// the one after its last.
	Index int64 `json:"index"`
	End   int64 `json:"-"`
	// Object is the store key whose state is the finding (Key, or the batch
	// of an entry), and Seen what it held when Check looked: Absent, Present
	// (not read), or the SHA-256 of its bytes (Seen). A second look that finds
	// it otherwise has seen a writer at work.
	Object string `json:"-"`
	Seen   string `json:"-"`

	fix    []byte // derived: what to store under Key; nil with remove: delete it
	remove bool
}

// CheckOptions configure Check.
type CheckOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// InFlight: a batch younger than this that has no checkpoint yet is a writer
	// at work, not a finding. 0 means DefaultInFlight.
	InFlight time.Duration
	// Entry, when not nil, is called with every entry read, in index order.
	Entry func(index int64, entry []byte) error
}

// CheckReport is what Check found.
type CheckReport struct {
	// Entries is the size of the log as its batches make it.
	Entries int64 `json:"entries"`
	// Checkpoint is the latest checkpoint validly signed by the key and stored
	// under its own size (zero when there is none).
	Checkpoint Checkpoint `json:"-"`
	// Authenticated is how many entries were checked against a signed tree: the
	// size of Checkpoint when its tree could be rebuilt, else less.
	Authenticated int64 `json:"authenticated"`
	Batches       int   `json:"batches"`
	Checkpoints   int   `json:"checkpoints"`
	Tiles         int   `json:"tiles"`
	LookupKeys    int   `json:"lookup_keys"`
	// InFlight names the objects a writer may still be completing: not findings.
	InFlight []string  `json:"in_flight,omitempty"`
	Findings []Finding `json:"findings"`
	// Unchecked says what could not be checked, and why ("" when all was).
	Unchecked string `json:"unchecked,omitempty"`
	// Suspect are the ranges of entries [from, to) that could not be
	// authenticated because they do not hash to a signed root (BatchAltered).
	Suspect [][2]int64 `json:"suspect,omitempty"`
	// Lost are the record versions whose lookup keys point into entries that
	// are in no batch (BatchMissing): their entries were lost with the batch.
	Lost []LostEntry `json:"lost,omitempty"`
	// NextBatch is the index after the last batch read: where the next batch
	// starts, for a later look at what was appended since (EntriesFrom).
	NextBatch int64 `json:"-"`
}

// LostEntry is an entry in no batch, as its lookup key names it.
type LostEntry struct {
	Index   int64               `json:"index"`
	Subject archive.SubjectKind `json:"subject"`
	ID      string              `json:"id"`
	Version int                 `json:"version"`
	Kind    string              `json:"event"`
}

// Damaged reports whether an authoritative object of the log is damaged, so that
// nothing may be appended to it.
func (r *CheckReport) Damaged() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Blocks })
}

// batchInfo is a batch as Check read it.
type batchInfo struct {
	key        string
	start, end int64
	mod        time.Time
	seen       string
}

type checker struct {
	l    *Log
	o    CheckOptions
	rep  *CheckReport
	now  time.Time
	keyN string // the key's name and hash, for messages

	batches []batchInfo
	leaves  []tlog.Hash // leaf hashes of the entries, by index
	known   []bool      // false in a hole (entries in no batch)
	events  []string    // lookup key of each entry ("" for one that does not parse)
	cps     map[int64]Checkpoint
	cpKeys  map[int64]bool // every checkpoint key listed, by size
	cpSeen  map[int64]string
	truth   []tlog.Hash    // the authenticated leaves, when known
	mem     memHashes      // the stored hashes of the tree of truth
	altered map[int64]bool // entries that are not those of the signed tree
}

func (c *checker) add(f Finding) {
	if f.Object == "" {
		f.Object = f.Key
	}
	c.rep.Findings = append(c.rep.Findings, f)
}

// Check reads the whole stored log and checks it without writing or signing
// anything: the batches follow each other without gap or overlap and hold nothing
// but entries; every checkpoint is signed by the key and stored under its own
// size; every batch has its checkpoint; the tree of the entries has the root each
// checkpoint signs; the hash tiles are the tree's; every entry has its lookup key
// and every lookup key an entry. When entries were altered, the tiles (checked
// against the signed root) say which; when they are damaged too, the checkpoints
// say which batch. Errors are operational (the store did not answer); what is
// wrong with the log is in the report.
func (l *Log) Check(ctx context.Context, o CheckOptions) (*CheckReport, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultInFlight
	}
	c := &checker{l: l, o: o, rep: &CheckReport{Findings: []Finding{}}, now: o.Now(),
		keyN: fmt.Sprintf("%s+%08x", l.key.Verifier.Name(), l.key.Verifier.KeyHash()),
		cps:  map[int64]Checkpoint{}, cpKeys: map[int64]bool{}, cpSeen: map[int64]string{}, altered: map[int64]bool{}}
	// Checkpoints are listed before batches: a batch is stored before its
	// checkpoint, so every checkpoint listed covers batches that the listing of
	// batches will show, even while writers append.
	cpList, err := c.listCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.readBatches(ctx); err != nil {
		return nil, err
	}
	if err := c.readCheckpoints(ctx, cpList); err != nil {
		return nil, err
	}
	if err := c.authenticate(ctx); err != nil {
		return nil, err
	}
	if err := c.missingCheckpoints(ctx); err != nil {
		return nil, err
	}
	if c.truth != nil {
		c.checkRoots(c.mem)
		if err := c.checkTiles(ctx, c.mem); err != nil {
			return nil, err
		}
		if err := c.checkLookupKeys(ctx); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(c.rep.Findings, func(i, j int) bool {
		return c.rep.Findings[i].Derived != c.rep.Findings[j].Derived && !c.rep.Findings[i].Derived
	})
	return c.rep, nil
}

// ---- batches ----

func (c *checker) readBatches(ctx context.Context) error {
	var list []blob.Info
	err := c.l.store.List(ctx, batchPrefix, "", func(info blob.Info) error {
		if _, ok := parseIndexKey(info.Key, batchPrefix); ok {
			list = append(list, info)
			return nil
		}
		c.add(Finding{Kind: BatchExtra, Key: info.Key, Index: -1, Blocks: true, Seen: Present,
			Detail: "an object under ledger/batch/ whose key is not that of a batch",
			Want:   "no object: batches are named ledger/batch/<start/1000, 13 digits>/<start, 16 digits>"})
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	const readAhead = 32
	next := int64(0)
	for g := 0; g < len(list); g += readAhead {
		group := list[g:min(g+readAhead, len(list))]
		raw := make([][]byte, len(group))
		errs := make([]error, len(group))
		err := parallel.For(ctx, len(group), putParallelism, func(ctx context.Context, i int) error {
			raw[i], errs[i] = readAll(ctx, c.l.store, group[i].Key)
			return nil
		})
		if err != nil {
			return fmt.Errorf("ledger: check: %w", err)
		}
		for k, info := range group {
			start, _ := parseIndexKey(info.Key, batchPrefix)
			switch {
			case errors.Is(errs[k], blob.ErrNotFound):
				continue // removed since the listing: the next batch shows the hole
			case errs[k] != nil:
				return fmt.Errorf("ledger: check: %s: %w", info.Key, errs[k])
			}
			if start < next {
				c.add(Finding{Kind: BatchExtra, Key: info.Key, Index: start, Blocks: true, Seen: Seen(raw[k]),
					Detail: fmt.Sprintf("a batch that starts at entry %d, inside the batch before it (which ends at entry %d)", start, next-1),
					Want:   "no object: each entry is in exactly one batch"})
				continue
			}
			if start > next {
				c.hole(next, start, fmt.Sprintf("the batch at %d follows entry %d", start, next-1))
			}
			entries, good := decodePrefix(raw[k])
			if good < len(raw[k]) || len(entries) == 0 {
				c.add(Finding{Kind: BatchAltered, Key: info.Key, Index: start, Blocks: true, Seen: Seen(raw[k]),
					Detail: fmt.Sprintf("after its %d entries (%d bytes) the batch holds %d more bytes that are not entries", len(entries), good, len(raw[k])-good),
					Want:   fmt.Sprintf("%d entries in %d bytes, nothing after them", len(entries), good)})
			}
			if len(entries) == 0 {
				continue
			}
			if end := c.batchEnd(list, g+k, start); end < start+int64(len(entries)) {
				c.add(Finding{Kind: BatchAltered, Key: info.Key, Index: start, Blocks: true, Seen: Seen(raw[k]),
					Detail: fmt.Sprintf("the batch holds %d entries, but it ends at entry %d (where the next batch, or its signed checkpoint, says): %d entries were added to it", len(entries), end-1, start+int64(len(entries))-end),
					Want:   fmt.Sprintf("the %d entries %d to %d alone", end-start, start, end-1)})
				entries = entries[:end-start]
			}
			for i, e := range entries {
				c.leaves = append(c.leaves, tlog.RecordHash(e))
				c.known = append(c.known, true)
				c.events = append(c.events, entryLookupKey(e))
				if c.o.Entry != nil {
					if err := c.o.Entry(start+int64(i), e); err != nil {
						return err
					}
				}
			}
			next = start + int64(len(entries))
			c.batches = append(c.batches, batchInfo{key: info.Key, start: start, end: next, mod: info.ModTime, seen: Seen(raw[k])})
		}
	}
	c.rep.Entries, c.rep.NextBatch, c.rep.Batches = next, next, len(c.batches)
	return nil
}

// batchEnd is where the batch list[j] (at start) must end: at the start of the
// next batch; the last one at the size of a checkpoint inside it, when there is
// none at its own end. math.MaxInt64 when nothing says.
func (c *checker) batchEnd(list []blob.Info, j int, start int64) int64 {
	if j+1 < len(list) {
		if n, _ := parseIndexKey(list[j+1].Key, batchPrefix); n > start {
			return n
		}
	}
	end := int64(math.MaxInt64)
	for n := range c.cpKeys {
		if n > start && n < end {
			end = n
		}
	}
	if j+1 < len(list) {
		return math.MaxInt64
	}
	return end
}

// hole records that entries [from, to) are in no batch.
func (c *checker) hole(from, to int64, why string) {
	c.add(Finding{Kind: BatchMissing, Key: batchKey(from), Index: from, Blocks: true, Seen: Absent,
		Detail: fmt.Sprintf("entries %d to %d are in no batch (%s)", from, to-1, why),
		Want:   fmt.Sprintf("the batch of entries %d to %d, whose leaf hashes the signed tree covers", from, to-1)})
	for i := from; i < to; i++ {
		c.leaves = append(c.leaves, tlog.Hash{})
		c.known = append(c.known, false)
		c.events = append(c.events, "")
	}
}

// decodePrefix decodes the entries at the start of a batch object and returns
// them with the length of the bytes they take; what follows is not an entry.
func decodePrefix(b []byte) ([][]byte, int) {
	var out [][]byte
	off := 0
	for len(b)-off >= 2 {
		n := int(binary.BigEndian.Uint16(b[off:]))
		if n == 0 || len(b)-off < 2+n {
			break
		}
		out = append(out, b[off+2:off+2+n])
		off += 2 + n
	}
	return out, off
}

// entryLookupKey is the by-record key of an entry, "" when it does not parse.
func entryLookupKey(e []byte) string {
	ev, err := ParseEntry(e)
	if err != nil {
		return ""
	}
	return subjectKey(ev)
}

// ---- checkpoints ----

func (c *checker) listCheckpoints(ctx context.Context) ([]blob.Info, error) {
	var list []blob.Info
	err := c.l.store.List(ctx, checkpointPrefix, "", func(info blob.Info) error {
		if n, ok := parseIndexKey(info.Key, checkpointPrefix); ok {
			list = append(list, info)
			c.cpKeys[n] = true
			return nil
		}
		c.add(Finding{Kind: CheckpointExtra, Key: info.Key, Index: -1, Blocks: true, Seen: Present,
			Detail: "an object under ledger/checkpoint/ whose key is not that of a checkpoint",
			Want:   "no object: checkpoints are named ledger/checkpoint/<size/1000, 13 digits>/<size, 16 digits>"})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: check: %w", err)
	}
	return list, nil
}

func (c *checker) readCheckpoints(ctx context.Context, list []blob.Info) error {
	raw := make([][]byte, len(list))
	errs := make([]error, len(list))
	err := parallel.For(ctx, len(list), putParallelism, func(ctx context.Context, i int) error {
		raw[i], errs[i] = readAll(ctx, c.l.store, list[i].Key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	want := func(n int64) string { return fmt.Sprintf("the checkpoint of size %d signed by %s", n, c.keyN) }
	for i, info := range list {
		n, _ := parseIndexKey(info.Key, checkpointPrefix)
		if errors.Is(errs[i], blob.ErrNotFound) {
			delete(c.cpKeys, n) // removed since the listing: reported as missing below
			continue
		}
		if errs[i] != nil {
			return fmt.Errorf("ledger: check: %s: %w", info.Key, errs[i])
		}
		c.rep.Checkpoints++
		cp, err := OpenCheckpoint(raw[i], c.l.key.Verifier)
		var invalid *note.InvalidSignatureError
		_, nerr := note.Open(raw[i], note.VerifierList(c.l.key.Verifier))
		switch {
		case errors.As(nerr, &invalid):
			c.add(Finding{Kind: CheckpointAltered, Key: info.Key, Index: -1, Blocks: true, Want: want(n), Seen: Seen(raw[i]),
				Detail: "the checkpoint's signature by the key does not match its text: it was altered"})
			continue
		case errors.Is(err, ErrNotVerified):
			why, _ := proof.ReasonOf(err)
			c.add(Finding{Kind: CheckpointForged, Key: info.Key, Index: -1, Blocks: true, Want: want(n), Seen: Seen(raw[i]),
				Detail: "not a checkpoint of this log signed by its key: " + why.String()})
			continue
		case err != nil:
			c.add(Finding{Kind: CheckpointAltered, Key: info.Key, Index: -1, Blocks: true, Want: want(n), Seen: Seen(raw[i]),
				Detail: "cannot be read as a signed checkpoint: " + err.Error()})
			continue
		case cp.Size != n:
			c.add(Finding{Kind: CheckpointMisnamed, Key: info.Key, Index: -1, Blocks: true, Want: want(n), Seen: Seen(raw[i]),
				Detail: fmt.Sprintf("holds the signed checkpoint of size %d, not that of size %d (an older checkpoint under a newer name?)", cp.Size, n)})
			continue
		}
		c.cps[n] = cp
		c.cpSeen[n] = Seen(raw[i])
		if n > c.rep.Checkpoint.Size {
			c.rep.Checkpoint = cp
		}
	}
	return nil
}

// missingCheckpoints names each batch that has no checkpoint at its end. The last
// batch may still be completed by its writer (in flight) or have lost its writer
// in a crash: the next append signs it, which makes the very same note (Ed25519
// signatures are deterministic), so its absence does not stop appends.
func (c *checker) missingCheckpoints(ctx context.Context) error {
	for k, b := range c.batches {
		if c.cpKeys[b.end] {
			continue // present (and checked above)
		}
		if b.end > c.rep.Checkpoint.Size {
			// Beyond the checkpoints listed: signed since, by a writer at work?
			_, err := c.l.store.Stat(ctx, checkpointKey(b.end))
			if err == nil {
				continue
			}
			if !errors.Is(err, blob.ErrNotFound) {
				return fmt.Errorf("ledger: check: %w", err)
			}
		}
		last := k == len(c.batches)-1 && b.end > c.rep.Checkpoint.Size
		if last && c.l.versions {
			forged, err := c.forgedBatch(ctx, b)
			if err != nil {
				return err
			}
			if forged != "" {
				c.add(Finding{Kind: BatchExtra, Key: b.key, Index: b.start, Blocks: true, Seen: b.seen,
					Detail: fmt.Sprintf("the last batch (entries %d to %d), which no checkpoint covers, %s: a writer stores every version before its entry, so this batch is not a writer's, and the log will not sign it", b.start, b.end-1, forged),
					Want:   "no object"})
				continue
			}
		}
		if d := c.now.Sub(b.mod); last && d < c.o.InFlight && d > -c.o.InFlight {
			c.rep.InFlight = append(c.rep.InFlight, checkpointKey(b.end))
			continue
		}
		f := Finding{Kind: CheckpointMissing, Key: checkpointKey(b.end), Index: b.start, Blocks: !last, Seen: Absent,
			Want:   fmt.Sprintf("the checkpoint of size %d signed by %s", b.end, c.keyN),
			Detail: fmt.Sprintf("the batch %s (entries %d to %d) has no signed checkpoint", b.key, b.start, b.end-1)}
		if last {
			f.Detail += "; it is the last batch: a writer stopped before signing it, or its checkpoint was deleted, and the next append signs it again (the same note: the signature is deterministic)"
		}
		c.add(f)
	}
	return nil
}

// forgedBatch says what is wrong with the unsigned batch b ("" when it stands).
func (c *checker) forgedBatch(ctx context.Context, b batchInfo) (string, error) {
	entries, err := c.l.readBatch(ctx, b.start)
	switch {
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, ErrCorrupt):
		return "", nil // gone since, or altered (named above)
	case err != nil:
		return "", fmt.Errorf("ledger: check: %w", err)
	}
	err = c.l.unsignedBatchStands(ctx, entries)
	var se *storeError
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &se):
		return "", fmt.Errorf("ledger: check: %w", err)
	}
	return err.Error(), nil
}

// ---- the authenticated tree ----

// authenticate finds the leaves of the tree the latest checkpoint signs: the
// entries themselves when they hash to its root, else the tiles, checked against
// that root, which then say which entries differ. When neither is possible the
// checkpoints bracket the damage.
func (c *checker) authenticate(ctx context.Context) error {
	cp := c.rep.Checkpoint
	n := int64(len(c.leaves))
	if cp.Size == 0 {
		if n > 0 {
			c.rep.Unchecked = "no checkpoint signed by the key covers the entries: they cannot be authenticated"
		}
		return nil
	}
	if cp.Size > n {
		c.hole(n, cp.Size, fmt.Sprintf("the signed checkpoint of size %d covers them", cp.Size))
	}
	// The hashes of the entries as stored, up to the first hole.
	known := int64(slices.Index(c.known, false))
	if known < 0 {
		known = int64(len(c.known))
	}
	mem, err := hashesOfLeaves(c.leaves[:known])
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	if known >= cp.Size {
		if root, err := tlog.TreeHash(cp.Size, mem); err == nil && root == cp.Root {
			c.truth, c.mem = c.leaves[:cp.Size], mem
			c.rep.Authenticated = cp.Size
			return nil
		}
	}
	// The entries are not those of the signed tree: ask the tiles, checked
	// against the signed root, for the leaves (fresh, without this Log's cache).
	truth, err := c.leavesFromTiles(ctx, cp)
	if err != nil {
		var se *storeError
		if errors.As(err, &se) && !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("ledger: check: %w", err)
		}
		c.bracket(mem, known)
		return nil
	}
	for i := int64(0); i < cp.Size; i++ {
		if c.known[i] && c.leaves[i] != truth[i] {
			c.altered[i] = true
			b := c.batchInfoOf(i)
			c.add(Finding{Kind: EntryAltered, Key: fmt.Sprintf("ledger entry %d", i), Index: i, Blocks: true, Object: b.key, Seen: b.seen,
				Detail: fmt.Sprintf("ledger entry %d (in %s) is not the entry that the signed checkpoint covers: it was replaced", i, c.batchOf(i)),
				Want:   "an entry whose leaf hash is " + truth[i].String()})
		}
	}
	if c.mem, err = hashesOfLeaves(truth); err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	c.truth = truth
	c.rep.Authenticated = cp.Size
	return nil
}

func (c *checker) batchOf(i int64) string { return c.batchInfoOf(i).key }

func (c *checker) batchInfoOf(i int64) batchInfo {
	k := sort.Search(len(c.batches), func(k int) bool { return c.batches[k].end > i })
	if k < len(c.batches) && c.batches[k].start <= i {
		return c.batches[k]
	}
	return batchInfo{key: batchKey(i), seen: Absent}
}

// leavesFromTiles reads the level-0 hashes of the tree cp signs from the stored
// tiles, checked against its root.
func (c *checker) leavesFromTiles(ctx context.Context, cp Checkpoint) ([]tlog.Hash, error) {
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, newTileReader(c.l.store).at(ctx))
	out := make([]tlog.Hash, 0, cp.Size)
	for start := int64(0); start < cp.Size; start += 1 << tileHeight {
		end := min(start+1<<tileHeight, cp.Size)
		idx := make([]int64, 0, end-start)
		for i := start; i < end; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, i))
		}
		hs, err := hr.ReadHashes(idx)
		if err != nil {
			return nil, err
		}
		out = append(out, hs...)
	}
	return out, nil
}

// bracket names the batches between the last checkpoint that the entries agree
// with and the first they do not, when the tiles cannot say which entry differs.
// mem holds the hashes of the first known entries.
func (c *checker) bracket(mem memHashes, known int64) {
	var ok int64
	for _, n := range slices.Sorted(mapKeys(c.cps)) {
		if n > known {
			break // beyond a hole (reported): nothing there can be recomputed
		}
		root, err := tlog.TreeHash(n, mem)
		if err == nil && root == c.cps[n].Root {
			ok = n
			continue
		}
		want := c.cps[n].Root
		c.rep.Suspect = append(c.rep.Suspect, [2]int64{ok, n})
		for _, b := range c.batches {
			if b.end > ok && b.start < n {
				c.add(Finding{Kind: BatchAltered, Key: b.key, Index: b.start, End: b.end, Blocks: true, Seen: b.seen,
					Want: fmt.Sprintf("entries whose tree has the root %s of the signed checkpoint of size %d", rootB64(want), n),
					Detail: fmt.Sprintf("entries %d to %d do not hash to the root of the signed checkpoint of size %d (those up to %d do); the tiles, damaged too, cannot say which entry was replaced",
						b.start, b.end-1, n, ok)})
			}
		}
		break
	}
	c.rep.Authenticated = ok
	c.rep.Unchecked = fmt.Sprintf("only the first %d entries could be authenticated: later checkpoints, the tiles and the lookup keys were not checked", ok)
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

// memHashes holds every stored hash of a tree, by stored-hash index.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("stored hash %d not computed", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// hashesOfLeaves computes every stored hash of the tree of leaves.
func hashesOfLeaves(leaves []tlog.Hash) (memHashes, error) {
	m := make(memHashes, 0, tlog.StoredHashCount(int64(len(leaves))))
	for i, h := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, m)
		if err != nil {
			return nil, err
		}
		m = append(m, hs...)
	}
	return m, nil
}

// checkRoots checks every signed checkpoint against the authenticated tree.
func (c *checker) checkRoots(mem memHashes) {
	top := c.rep.Checkpoint
	for _, n := range slices.Sorted(mapKeys(c.cps)) {
		if n >= top.Size {
			continue
		}
		root, err := tlog.TreeHash(n, mem)
		if err == nil && root == c.cps[n].Root {
			continue
		}
		c.add(Finding{Kind: CheckpointInconsistent, Key: checkpointKey(n), Index: -1, Blocks: true, Seen: c.cpSeen[n],
			Want: fmt.Sprintf("the root %s of the first %d entries of the tree the latest checkpoint (size %d) signs", rootB64(root), n, top.Size),
			Detail: fmt.Sprintf("signed by the key, but its root %s is not that of the first %d entries of the tree that the latest checkpoint (size %d) signs: one of the two signs a rewritten history, and the store alone cannot tell which (check against a checkpoint saved outside it: gongshi verify --consistency)",
				rootB64(c.cps[n].Root), n, top.Size)})
	}
}

func rootB64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// ---- tiles ----

// expectedTiles are the tiles the appends of the batches stored: those from each
// batch's start to its end (tlog.NewTiles), up to the authenticated size.
func (c *checker) expectedTiles() map[tlog.Tile]bool {
	size := int64(len(c.truth))
	cuts := map[int64]bool{0: true, size: true}
	for _, b := range c.batches {
		if b.end <= size {
			cuts[b.end] = true
		}
	}
	for n := range c.cps {
		if n <= size {
			cuts[n] = true
		}
	}
	sorted := slices.Sorted(mapKeys(cuts))
	want := map[tlog.Tile]bool{}
	for i := 1; i < len(sorted); i++ {
		for _, t := range tlog.NewTiles(tileHeight, sorted[i-1], sorted[i]) {
			want[t] = true
		}
	}
	return want
}

// tileEnd is the number of leaves a tile's hashes cover.
func tileEnd(t tlog.Tile) int64 {
	end := int64(t.N)<<tileHeight + int64(t.W)
	for l := 0; l < t.L; l++ {
		end <<= tileHeight
	}
	return end
}

func parseTileKey(key string) (tlog.Tile, bool) {
	rest, ok := strings.CutPrefix(key, "ledger/tile/")
	if !ok {
		return tlog.Tile{}, false
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", tileHeight, rest))
	if err != nil || tileKey(t) != key {
		return tlog.Tile{}, false
	}
	return t, true
}

func (c *checker) checkTiles(ctx context.Context, mem memHashes) error {
	size := int64(len(c.truth))
	want := c.expectedTiles()
	var stored []tlog.Tile
	seen := map[tlog.Tile]bool{}
	err := c.l.store.List(ctx, "ledger/tile/", "", func(info blob.Info) error {
		t, ok := parseTileKey(info.Key)
		if !ok {
			c.add(Finding{Kind: TileExtra, Key: info.Key, Index: -1, Derived: true, remove: true, Seen: Present,
				Detail: "an object under ledger/tile/ whose key is not that of a tile", Want: "no object"})
			return nil
		}
		if tileEnd(t) > size {
			return nil // beyond the authenticated tree: a writer's, or not checkable
		}
		stored = append(stored, t)
		seen[t] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	data := make([][]byte, len(stored))
	errs := make([]error, len(stored))
	err = parallel.For(ctx, len(stored), putParallelism, func(ctx context.Context, i int) error {
		data[i], errs[i] = readAll(ctx, c.l.store, tileKey(stored[i]))
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	for i, t := range stored {
		if errors.Is(errs[i], blob.ErrNotFound) {
			seen[t] = false
			continue
		}
		if errs[i] != nil {
			return fmt.Errorf("ledger: check: %s: %w", tileKey(t), errs[i])
		}
		c.rep.Tiles++
		good, err := tlog.ReadTileData(t, mem)
		if err != nil {
			return fmt.Errorf("ledger: check: tile %s: %w", tileKey(t), err)
		}
		if !bytes.Equal(good, data[i]) {
			c.add(Finding{Kind: TileAltered, Key: tileKey(t), Index: tileStart(t), Derived: true, fix: good, Seen: Seen(data[i]),
				Detail: fmt.Sprintf("the tile's %d bytes are not the %d bytes of hashes that the authenticated tree has there", len(data[i]), len(good)),
				Want:   fmt.Sprintf("%d hashes recomputed from the entries (%s…)", t.W, firstHash(good))})
		}
	}
	for _, t := range slices.SortedFunc(mapKeys(want), compareTiles) {
		if seen[t] {
			continue
		}
		good, err := tlog.ReadTileData(t, mem)
		if err != nil {
			return fmt.Errorf("ledger: check: tile %s: %w", tileKey(t), err)
		}
		c.add(Finding{Kind: TileMissing, Key: tileKey(t), Index: tileStart(t), Derived: true, fix: good, Seen: Absent,
			Detail: "a hash tile that the appends stored is not in the store",
			Want:   fmt.Sprintf("%d hashes recomputed from the entries (%s…)", t.W, firstHash(good))})
	}
	return nil
}

func tileStart(t tlog.Tile) int64 {
	start := int64(t.N) << tileHeight
	for l := 0; l < t.L; l++ {
		start <<= tileHeight
	}
	return start
}

func firstHash(data []byte) string {
	if len(data) < tlog.HashSize {
		return ""
	}
	return base64.StdEncoding.EncodeToString(data[:tlog.HashSize])
}

func compareTiles(a, b tlog.Tile) int {
	if a.L != b.L {
		return a.L - b.L
	}
	if a.N != b.N {
		if a.N < b.N {
			return -1
		}
		return 1
	}
	return a.W - b.W
}

// ---- lookup keys ----

func (c *checker) checkLookupKeys(ctx context.Context) error {
	size := int64(len(c.truth))
	want := map[string]string{}
	for _, b := range c.batches {
		for i := b.start; i < b.end && i < size; i++ {
			if c.events[i] != "" && !c.altered[i] {
				want[c.events[i]] = fmt.Sprintf("%d %d\n", i, b.start)
			}
		}
	}
	var keys []string
	err := c.l.store.List(ctx, lookupPrefix, "", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	data := make([][]byte, len(keys))
	errs := make([]error, len(keys))
	err = parallel.For(ctx, len(keys), putParallelism, func(ctx context.Context, i int) error {
		data[i], errs[i] = readAll(ctx, c.l.store, keys[i])
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: check: %w", err)
	}
	seen := map[string]bool{}
	for i, k := range keys {
		if errors.Is(errs[i], blob.ErrNotFound) {
			continue
		}
		if errs[i] != nil {
			return fmt.Errorf("ledger: check: %s: %w", k, errs[i])
		}
		c.rep.LookupKeys++
		seen[k] = true
		good, expected := want[k]
		if expected {
			if string(data[i]) != good {
				c.add(Finding{Kind: LookupKeyAltered, Key: k, Index: -1, Derived: true, fix: []byte(good), Seen: Seen(data[i]),
					Detail: fmt.Sprintf("the lookup key says %q", data[i]), Want: fmt.Sprintf("%q (entry index and batch start)", good)})
			}
			continue
		}
		var idx, start int64
		if _, err := fmt.Sscanf(string(data[i]), "%d %d\n", &idx, &start); err == nil && idx >= 0 && (idx >= size || c.altered[idx] || !c.known[idx]) {
			// A writer's, beyond the checked tree; or the key of an entry
			// replaced or lost (reported).
			if idx < size && !c.known[idx] {
				if subject, id, version, kind, ok := parseLookupKey(k); ok {
					c.rep.Lost = append(c.rep.Lost, LostEntry{Index: idx, Subject: subject, ID: id, Version: version, Kind: kind})
				}
			}
			continue
		}
		c.add(Finding{Kind: LookupKeyExtra, Key: k, Index: -1, Derived: true, remove: true, Seen: Seen(data[i]),
			Detail: fmt.Sprintf("a lookup key (%q) for no entry of the log", data[i]), Want: "no object"})
	}
	for _, k := range slices.Sorted(mapKeys(want)) {
		if !seen[k] {
			c.add(Finding{Kind: LookupKeyMissing, Key: k, Index: -1, Derived: true, fix: []byte(want[k]), Seen: Absent,
				Detail: "an entry of the log has no lookup key", Want: fmt.Sprintf("%q (entry index and batch start)", want[k])})
		}
	}
	return nil
}

// parseLookupKey reads the subject, version and event kind out of a lookup key
// (subjectKey).
func parseLookupKey(key string) (subject archive.SubjectKind, id string, version int, kind string, ok bool) {
	rest, ok := strings.CutPrefix(key, lookupPrefix)
	if !ok {
		return "", "", 0, "", false
	}
	sk, rest, _ := strings.Cut(rest, "/")
	_, name, _ := strings.Cut(rest, "/")
	parts := strings.SplitN(name, ".", 4)
	if len(parts) != 4 {
		return "", "", 0, "", false
	}
	v, err := strconv.Atoi(parts[1])
	subject = archive.SubjectKind(sk)
	if err != nil || !subject.Valid() || !strings.HasPrefix(key, subjectVersionPrefix(subject, parts[0], v)) {
		return "", "", 0, "", false
	}
	return subject, parts[0], v, parts[2], true
}

// ---- repairs ----

// Repair rebuilds the derived object of a finding from the batches (as Check
// computed it): a missing or altered tile or lookup key is stored anew, an extra
// one removed. It returns what it did. Authoritative objects are never rebuilt.
func (l *Log) Repair(ctx context.Context, f Finding) (string, error) {
	if !f.Derived || (f.fix == nil && !f.remove) {
		return "", fmt.Errorf("ledger: repair %s: %s is not a derived object that can be rebuilt", f.Key, f.Kind)
	}
	if err := l.store.Delete(ctx, f.Key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return "", fmt.Errorf("ledger: repair %s: %w", f.Key, err)
	}
	if f.remove {
		return "removed " + f.Key, nil
	}
	_, err := l.store.Put(ctx, f.Key, bytes.NewReader(f.fix), blob.PutOptions{Size: int64(len(f.fix))})
	if errors.Is(err, blob.ErrExists) {
		// Another writer stored it meanwhile: it must be the same.
		got, rerr := readAll(ctx, l.store, f.Key)
		if rerr != nil {
			return "", fmt.Errorf("ledger: repair %s: %w", f.Key, rerr)
		}
		if !bytes.Equal(got, f.fix) {
			return "", fmt.Errorf("ledger: repair %s: another writer stored other bytes meanwhile", f.Key)
		}
	} else if err != nil {
		return "", fmt.Errorf("ledger: repair %s: %w", f.Key, err)
	}
	what := "the lookup key"
	if strings.HasPrefix(f.Key, "ledger/tile/") {
		what = "the tile"
	}
	return fmt.Sprintf("rebuilt %s %s from the entries (%d bytes)", what, f.Key, len(f.fix)), nil
}

// EntriesFrom calls fn with every entry of the batches that start at index from
// or later, in order: what was appended after a Check that ended there.
func (l *Log) EntriesFrom(ctx context.Context, from int64, fn func(index int64, entry []byte) error) error {
	starts, err := l.batchStarts(ctx, from)
	if err != nil {
		return fmt.Errorf("ledger: entries from %d: %w", from, err)
	}
	for _, s := range starts {
		entries, err := l.readBatch(ctx, s)
		if err != nil {
			return fmt.Errorf("ledger: entries from %d: %w", from, err)
		}
		for i, e := range entries {
			if err := fn(s+int64(i), e); err != nil {
				return err
			}
		}
	}
	return nil
}
