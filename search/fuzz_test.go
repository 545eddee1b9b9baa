package search

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
)

// The seeds below run as tests with every `go test`; `go test -fuzz
// FuzzParseValues ./search` (or FuzzParseQuery, FuzzSearch) explores from them.

// wireSeeds are query strings of the search API (GET /api/v1/search?…) that
// people and scripts send: wrong filters, numbers that are not, dates that are
// no day, hostile text.
var wireSeeds = []string{
	"", "q=征收", "q=%E5%BE%81%E6%94%B6&year=2024", "year=abc", "year=2024&year=1e3", "year=-1", "year=99999",
	"class=secret", "class=public&class=household", "class=", "from=2026-02-30", "from=2026-05-01&to=2026-01-01",
	"to=18/03/2026", "limit=-1", "limit=1000000", "offset=99999999999999999999", "offset=-5", "limit=0x10",
	"sort=random", "sort=newest", "sort=", "project=../../etc", "type=<script>", "city=%00", "q=%ff%fe",
	"q=title:kqzhtitle12", "q=vc:role:archivist", "q=k:vc:public+kqzhkw12", "q=%22kqzhtitle12%22", "q=kqzh*",
	"public_copy_of=x&public_copy_of=", "q=" + strings.Repeat("征", 3000), "year=" + strings.Repeat("9", 400),
	"q&q&q", "=&=&", "%zz", ";q=征收", "q=征收&q=补偿",
}

// A request from the wire is either a clear ErrBadRequest (naming the parameter,
// short, no Go in it) or a request that searches without error, shows only what
// the viewer may see, and goes over the wire and back unchanged.
func FuzzParseValues(f *testing.F) {
	for i, s := range wireSeeds {
		f.Add(s, i)
	}
	fx := newFixture(f)
	ix := openFixture(f, fx, &clock{now: fixtureNow})
	viewers := []archive.Viewer{public, hh12, archivist, auditor}
	f.Fuzz(func(t *testing.T, raw string, who int) {
		v := viewers[(who%len(viewers)+len(viewers))%len(viewers)]
		vals, _ := url.ParseQuery(raw) // what a server's handler gets, also from a malformed query
		req, err := ParseValues(vals, v)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("%q: %v, not ErrBadRequest", raw, err)
			}
			msg := err.Error()
			for _, internal := range []string{"strconv", "parsing", "%!", "invalid syntax", "panic"} {
				if strings.Contains(msg, internal) {
					t.Fatalf("%q: the error shows %q: %s", raw, internal, msg)
				}
			}
			if len(msg) > 400 || !utf8.ValidString(msg) {
				t.Fatalf("%q: an error of %d bytes: %.200q", raw, len(msg), msg)
			}
			return
		}
		if req.Viewer.Kind != v.Kind {
			t.Fatalf("%q: the viewer came from the wire: %+v", raw, req.Viewer)
		}
		back, err := ParseValues(req.Values(), v)
		if err != nil {
			t.Fatalf("%q: its own wire form is refused: %v", raw, err)
		}
		if !reflect.DeepEqual(back, req) {
			t.Fatalf("%q: over the wire and back:\n%+v\n%+v", raw, req, back)
		}
		res, err := ix.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("%q: a valid request fails: %v", raw, err)
		}
		checkVisible(t, fx, v, raw, res)
	})
}

// Whatever the text, the parsed query is bounded and made of valid words.
func FuzzParseQuery(f *testing.F) {
	for _, q := range hostileQueries {
		f.Add(q)
	}
	for _, q := range []string{"长府征字〔2024〕3号的决定", "Z101-WS·2024-Y-NG01-0007", "拆迁补偿 回迁 估价", "CQ01 2024年"} {
		f.Add(q)
	}
	syn := newSynonyms(archive.DefaultSynonyms())
	f.Fuzz(func(t *testing.T, q string) {
		p := parseQuery(q, syn)
		if len(p.words) > maxWords {
			t.Fatalf("%q: %d words", q, len(p.words))
		}
		for _, w := range p.words {
			if len(w.alts) == 0 || len(w.alts) > maxAlts {
				t.Fatalf("%q: a word with %d alternates", q, len(w.alts))
			}
			for _, u := range w.alts {
				if u.text == "" || !utf8.ValidString(u.text) {
					t.Fatalf("%q: word %q", q, u.text)
				}
				if u.cjk && len(u.runes) > maxWordRune {
					t.Fatalf("%q: a word of %d characters", q, len(u.runes))
				}
			}
		}
		for _, ids := range [][]string{p.docNums, p.docPrefix, p.codePrefix} {
			for _, id := range ids {
				if id == "" || !utf8.ValidString(id) {
					t.Fatalf("%q: identifier %q", q, id)
				}
			}
		}
	})
}
