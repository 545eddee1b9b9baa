package search

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// apiHandler answers SearchPath as the portal's API does: the request from the
// URL (ParseValues), the viewer from the token, the answer as JSON.
func apiHandler(ix *Index, tokens map[string]archive.Viewer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := archive.PublicViewer()
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if v, ok = tokens[tok]; !ok {
				http.Error(w, `{"error":"unknown token"}`, http.StatusUnauthorized)
				return
			}
		}
		req, err := ParseValues(r.URL.Query(), v)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		res, err := ix.Search(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(res)
	})
}

// Through a server, the same answer as from the index, for the viewer the token
// names.
func TestClient(t *testing.T) {
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	srv := httptest.NewServer(apiHandler(ix, map[string]archive.Viewer{"staff-token": archivist}))
	defer srv.Close()
	ctx := context.Background()
	for _, req := range []Request{
		{Query: "东天街", Limit: 3, Offset: 1},
		{Query: "长府征字〔2024〕3号"},
		{City: []string{"长春市"}, Type: []string{"decision", "plan_draft"}, Year: []int{2024}, Sort: SortOldest},
		{From: archive.D(2024, 1, 1), To: archive.D(2024, 12, 31), Class: []archive.Disclosure{archive.Public}},
	} {
		for token, v := range map[string]archive.Viewer{"": public, "staff-token": archivist} {
			c := &Client{Base: srv.URL, Token: token}
			got, err := c.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			req.Viewer = v
			want, err := ix.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got.Took, want.Took = 0, 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v through the server:\n%+v\nfrom the index:\n%+v", req, got, want)
			}
			req.Viewer = archive.Viewer{}
		}
	}
	// The public-copy filter goes over the wire (the portal's record page
	// asks with it).
	copies := Request{PublicCopyOf: []string{"ivvb3qcd7tbquvxlnbcpvt2d3e", "other"}}
	if back, err := ParseValues(copies.Values(), public); err != nil || !reflect.DeepEqual(back.PublicCopyOf, copies.PublicCopyOf) {
		t.Errorf("public_copy_of on the wire comes back as %v, %v", back.PublicCopyOf, err)
	}
	// The viewer is the server's to decide: a request cannot name one.
	c := &Client{Base: srv.URL}
	res, err := c.Search(ctx, Request{Query: "kqzhtitlefund", Viewer: archivist})
	if err != nil || res.Total != 0 {
		t.Errorf("a viewer in the request was believed: %d, %v", res.Total, err)
	}
	if _, err := (&Client{Base: srv.URL, Token: "forged"}).Search(ctx, Request{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("forged token: %v", err)
	}
	if _, err := (&Client{Base: srv.URL}).Search(ctx, Request{Sort: "random"}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("bad sort through the server: %v", err)
	}
}

// What a misbehaving server sends is an error, never a crash or a hang on a huge
// answer.
func TestClientBadServer(t *testing.T) {
	ctx := context.Background()
	for name, h := range map[string]http.HandlerFunc{
		"not json":   func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) },
		"500":        func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"huge":       func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat(" ", maxAnswer+10))) },
		"wrong json": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"total":"many"}`)) },
	} {
		srv := httptest.NewServer(h)
		if _, err := (&Client{Base: srv.URL}).Search(ctx, Request{Query: "x"}); err == nil {
			t.Errorf("%s: no error", name)
		}
		srv.Close()
	}
	for _, base := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := (&Client{Base: base}).Search(ctx, Request{}); err == nil {
			t.Errorf("base %q: no error", base)
		}
	}
}
