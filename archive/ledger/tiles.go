package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive/blob"
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

// ReadTiles reads the tiles not in the cache, in parallel. A partial tile that was
// not stored for its width is read as the prefix of a wider one: the full tile, if
// the log has grown past it.
func (r *tileReader) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	for i, t := range tiles {
		if b, ok := r.cached(t); ok {
			out[i] = b
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = r.readTile(ctx, t)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
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
