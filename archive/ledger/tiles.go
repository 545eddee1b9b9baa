package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// tileHeight is the C2SP tlog-tiles height: 256 hashes per full tile.
const tileHeight = 8

// tileKey is the key of a hash tile: ledger/ + the C2SP tlog-tiles path,
// tile/<L>/<N>[.p/<W>], with N in x-prefixed groups of three digits. tlog's own
// Tile.Path writes the sumdb form, which has the height after "tile/"; that is the
// only difference, so the digit grouping is taken from tlog.
func tileKey(t tlog.Tile) string {
	return "ledger/tile/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
}

// storeError marks a failure to read the store, as opposed to data that does not
// check out; callers tell "could not look" from "looked, and it is wrong".
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// tileReader is a tlog.TileReader over the tiles in the store, with a cache of the
// tiles tlog.TileHashReader has authenticated (and of those this process wrote).
// The content of a tile (L, N, W) is the same in every tree that is consistent
// with the one it was checked against, so a cached tile stays valid.
type tileReader struct {
	store blob.Getter
	mu    sync.Mutex
	cache map[tlog.Tile][]byte
}

// maxCachedTiles bounds the cache at about 64 MiB of full tiles.
const maxCachedTiles = 8192

func newTileReader(st blob.Getter) *tileReader {
	return &tileReader{store: st, cache: make(map[tlog.Tile][]byte)}
}

// at returns the reader as a tlog.TileReader whose reads use ctx.
func (r *tileReader) at(ctx context.Context) tlog.TileReader { return ctxTiles{r, ctx} }

type ctxTiles struct {
	r   *tileReader
	ctx context.Context
}

func (c ctxTiles) Height() int                                   { return tileHeight }
func (c ctxTiles) SaveTiles(tiles []tlog.Tile, data [][]byte)    { c.r.SaveTiles(tiles, data) }
func (c ctxTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) { return c.r.ReadTiles(c.ctx, tiles) }

func (r *tileReader) cached(t tlog.Tile) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.cache[t]
	return b, ok
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cache)+len(tiles) > maxCachedTiles {
		clear(r.cache)
	}
	for i, t := range tiles {
		r.cache[t] = data[i]
	}
}

// ReadTiles reads the tiles not in the cache, putParallelism at a time. A partial
// tile that was not stored for its width is read as the prefix of a wider one: the
// full tile, if the log has grown past it. The first tile that cannot be read
// fails the call.
func (r *tileReader) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	var missing []int
	for i, t := range tiles {
		if b, ok := r.cached(t); ok {
			out[i] = b
		} else {
			missing = append(missing, i)
		}
	}
	err := parallel.For(ctx, len(missing), putParallelism, func(ctx context.Context, j int) error {
		i := missing[j]
		b, err := r.readTile(ctx, tiles[i])
		out[i] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *tileReader) readTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	want := t.W * tlog.HashSize
	b, err := readAll(ctx, r.store, tileKey(t))
	if errors.Is(err, blob.ErrNotFound) && t.W < 1<<tileHeight {
		full := t
		full.W = 1 << tileHeight
		b, err = readAll(ctx, r.store, tileKey(full))
		if err == nil && len(b) >= want {
			b = b[:want]
		}
	}
	if err != nil {
		return nil, &storeError{fmt.Errorf("tile %s: %w", tileKey(t), err)}
	}
	if len(b) != want {
		return nil, fmt.Errorf("tile %s has %d bytes, want %d", tileKey(t), len(b), want)
	}
	return b, nil
}

func readAll(ctx context.Context, st blob.Getter, key string) ([]byte, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// hashReader reads the stored hashes of tree from the tiles, authenticated
// against its signed root. The tiles are derived from the batches: one that does
// not match the root, or is missing, is rebuilt from the entries of the batches
// it covers, and is used once the rebuilt tiles authenticate; a log that can
// write stores it again in place of the damaged one. So a damaged tile never
// stops an append, a receipt or a proof, and never decides one either.
func (l *Log) hashReader(ctx context.Context, tree tlog.Tree) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := tlog.TileHashReader(tree, l.tiles.at(ctx)).ReadHashes(idx)
		if err == nil {
			return hs, nil
		}
		var se *storeError
		if errors.As(err, &se) && !errors.Is(err, blob.ErrNotFound) {
			return nil, err // the store did not answer: nothing to rebuild
		}
		hs, rerr := tlog.TileHashReader(tree, &rebuiltTiles{l: l, ctx: ctx}).ReadHashes(idx)
		if rerr != nil {
			return nil, fmt.Errorf("%w; rebuilt from the batches, the tiles do not match the signed root either: %v", err, rerr)
		}
		return hs, nil
	})
}

// rebuiltTiles is a tlog.TileReader that computes each tile from the entries of
// the batches instead of reading it.
type rebuiltTiles struct {
	l   *Log
	ctx context.Context
}

func (r *rebuiltTiles) Height() int { return tileHeight }

func (r *rebuiltTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r.l.rebuildTile(r.ctx, t)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// SaveTiles is called with the rebuilt tiles once they authenticate: they go in
// the cache, and a stored tile that differs is replaced (when the log can write).
func (r *rebuiltTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.l.tiles.SaveTiles(tiles, data)
	if r.l.key.Signer == nil {
		return
	}
	for i, t := range tiles {
		stored, err := readAll(r.ctx, r.l.store, tileKey(t))
		if err == nil && bytes.Equal(stored, data[i]) {
			continue
		}
		if err != nil && !errors.Is(err, blob.ErrNotFound) {
			continue
		}
		// Best effort: the next reader rebuilds it again if this fails.
		r.l.Repair(r.ctx, Finding{Kind: TileAltered, Key: tileKey(t), Derived: true, fix: data[i]})
	}
}

// rebuildTile computes tile t from the entries it covers: for level L, each of
// its hashes is the root of a complete subtree of 256^L entries.
func (l *Log) rebuildTile(ctx context.Context, t tlog.Tile) ([]byte, error) {
	per := int64(1)
	for i := 0; i < t.L; i++ {
		per <<= tileHeight
	}
	out := make([]byte, 0, t.W*tlog.HashSize)
	for j := int64(0); j < int64(t.W); j++ {
		// One subtree at a time: a high tile covers many entries.
		from := tileStart(t) + j*per
		entries, err := l.entryRange(ctx, from, from+per)
		if err != nil {
			return nil, fmt.Errorf("rebuild tile %s: %w", tileKey(t), err)
		}
		if int64(len(entries)) != per {
			return nil, fmt.Errorf("rebuild tile %s: %w: %d entries from %d, want %d", tileKey(t), ErrCorrupt, len(entries), from, per)
		}
		level := make([]tlog.Hash, per)
		for k := range level {
			level[k] = tlog.RecordHash(entries[k])
		}
		for len(level) > 1 {
			next := level[:len(level)/2]
			for k := range next {
				next[k] = tlog.NodeHash(level[2*k], level[2*k+1])
			}
			level = next
		}
		out = append(out, level[0][:]...)
	}
	return out, nil
}

// entryRange returns the entries from index from up to to (excluded), read from
// the batches that hold them.
func (l *Log) entryRange(ctx context.Context, from, to int64) ([][]byte, error) {
	// The batch holding entry from starts in its directory of a thousand or in
	// one of the few before (batches hold at most a few thousand entries).
	first := int64(-1)
	for d := from / 1000; d >= 0 && d >= from/1000-8 && first < 0; d-- {
		err := l.store.List(ctx, fmt.Sprintf("%s%013d/", batchPrefix, d), "", func(info blob.Info) error {
			if s, ok := parseIndexKey(info.Key, batchPrefix); ok && s <= from {
				first = max(first, s)
			}
			return nil
		})
		if err != nil {
			return nil, &storeError{err}
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("%w: entry %d is in no batch", ErrCorrupt, from)
	}
	var out [][]byte
	next := first
	for next < to {
		entries, err := l.readBatch(ctx, next)
		if errors.Is(err, blob.ErrNotFound) {
			return nil, fmt.Errorf("%w: entry %d is in no batch", ErrCorrupt, next)
		}
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w: the batch at %d is empty", ErrCorrupt, next)
		}
		for i, e := range entries {
			if n := next + int64(i); n >= from && n < to {
				out = append(out, e)
			}
		}
		next += int64(len(entries))
	}
	return out, nil
}
