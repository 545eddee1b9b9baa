package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// The search API's wire form, shared by the server's handler (the portal's
// GET /api/v1/search) and Client: the request as URL query parameters (Values,
// ParseValues), the answer as Result's JSON. The viewer is never a parameter: the
// server decides it from the request's credentials.
//
//	q          the query text
//	project type city district class year   filters, each repeatable
//	public_copy_of                          the public copies of a record (repeatable)
//	from to    YYYY-MM-DD
//	sort       newest | oldest | published | filed (relevance when absent)
//	offset limit

// Values returns req as URL query parameters (without its viewer).
func (req Request) Values() url.Values {
	v := url.Values{}
	if req.Query != "" {
		v.Set("q", req.Query)
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"project", req.Project}, {"type", req.Type}, {"city", req.City}, {"district", req.District},
		{"class", classTerms(req.Class)}, {"year", yearStrings(req.Year)}, {"public_copy_of", req.PublicCopyOf}} {
		for _, x := range f.vals {
			v.Add(f.name, x)
		}
	}
	if !req.From.IsZero() {
		v.Set("from", req.From.String())
	}
	if !req.To.IsZero() {
		v.Set("to", req.To.String())
	}
	if req.Sort != SortRelevance {
		v.Set("sort", string(req.Sort))
	}
	if req.Offset != 0 {
		v.Set("offset", strconv.Itoa(req.Offset))
	}
	if req.Limit != 0 {
		v.Set("limit", strconv.Itoa(req.Limit))
	}
	return v
}

func yearStrings(ys []int) []string {
	out := make([]string, len(ys))
	for i, y := range ys {
		out[i] = strconv.Itoa(y)
	}
	return out
}

// ParseValues reads a request from URL query parameters; viewer is who asks. The
// query text is taken as it is (any text is a query); a filter that is not valid
// is ErrBadRequest, saying which.
func ParseValues(v url.Values, viewer archive.Viewer) (Request, error) {
	req := Request{Query: v.Get("q"), Viewer: viewer, Project: v["project"], Type: v["type"],
		City: v["city"], District: v["district"], PublicCopyOf: v["public_copy_of"], Sort: Sort(v.Get("sort"))}
	for _, c := range v["class"] {
		d, err := archive.ParseDisclosure(c)
		if err != nil {
			return Request{}, fmt.Errorf("%w: class %s: want one of %v", ErrBadRequest, shortQuote(c), archive.Disclosures())
		}
		req.Class = append(req.Class, d)
	}
	for _, y := range v["year"] {
		n, err := strconv.Atoi(y)
		if err != nil {
			return Request{}, fmt.Errorf("%w: year %s is not a number: give a year such as 2024", ErrBadRequest, shortQuote(y))
		}
		req.Year = append(req.Year, n)
	}
	for _, d := range []struct {
		name string
		to   *archive.Date
	}{{"from", &req.From}, {"to", &req.To}} {
		if s := v.Get(d.name); s != "" {
			date, err := archive.ParseDate(s)
			if err != nil {
				return Request{}, fmt.Errorf("%w: %s %s is not a day: give one as YYYY-MM-DD", ErrBadRequest, d.name, shortQuote(s))
			}
			*d.to = date
		}
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"offset", &req.Offset}, {"limit", &req.Limit}} {
		if s := v.Get(n.name); s != "" {
			x, err := strconv.Atoi(s)
			if err != nil {
				return Request{}, fmt.Errorf("%w: %s %s is not a whole number", ErrBadRequest, n.name, shortQuote(s))
			}
			*n.to = x
		}
	}
	if err := checkRequest(&req); err != nil {
		return Request{}, err
	}
	return req, nil
}

// shortQuote quotes a value a request got wrong for its error, cut to 40
// characters: the error names it without repeating a hostile megabyte.
func shortQuote(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "…"
	}
	return strconv.Quote(s)
}

// SearchPath is where a server answers searches.
const SearchPath = "/api/v1/search"

// Client asks a running server's search API: what gongshi search does while a
// gongshi serve holds the index. The server decides the viewer from Token (a
// staff API token); without one it answers as to the public.
type Client struct {
	// Base is the server's base URL, e.g. http://127.0.0.1:8080.
	Base string
	// Token is sent as a bearer token.
	Token string
	// HTTP is the client to use; nil means one with a 30 s timeout.
	HTTP *http.Client
}

// maxAnswer bounds the answer read: a page of MaxLimit hits with their facets is
// far smaller.
const maxAnswer = 16 << 20

// Search sends req (its Viewer is not sent: the server decides) and returns the
// server's answer.
func (c *Client) Search(ctx context.Context, req Request) (Result, error) {
	base, err := url.Parse(strings.TrimSuffix(c.Base, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return Result{}, fmt.Errorf("search: server %q is not an http(s) URL", c.Base)
	}
	u := base.JoinPath(SearchPath)
	u.RawQuery = req.Values().Encode()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	hr.Header.Set("Accept", "application/json")
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		why := err
		var ue *url.Error
		if errors.As(err, &ue) {
			why = ue.Err
		}
		return Result{}, fmt.Errorf("search: cannot reach the server at %s: %v: check the address, and that gongshi serve runs there", base, why)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return Result{}, fmt.Errorf("search: reading the answer of %s: %w", base.Host, err)
	}
	if len(body) > maxAnswer {
		return Result{}, fmt.Errorf("search: the answer of %s is larger than %d bytes", base.Host, maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		var err error
		switch resp.StatusCode {
		case http.StatusBadRequest:
			err = fmt.Errorf("%w: %s (the server at %s says)", ErrBadRequest, strings.TrimPrefix(msg, ErrBadRequest.Error()+": "), base)
		case http.StatusUnauthorized, http.StatusForbidden:
			err = fmt.Errorf("search: the server at %s refused the request (%s: %s): give a staff API token with --token or GONGSHI_TOKEN", base, resp.Status, msg)
		case http.StatusNotFound:
			err = fmt.Errorf("search: the server at %s has no search API at %s (404): is it a gongshi serve?", base, SearchPath)
		case http.StatusServiceUnavailable:
			err = fmt.Errorf("search: the server at %s: %w", base, ErrUnavailable)
		default:
			err = fmt.Errorf("search: the server at %s answered %s: %s", base, resp.Status, msg)
		}
		return Result{}, err
	}
	var res Result
	if err := json.Unmarshal(body, &res); err != nil {
		return Result{}, fmt.Errorf("search: the answer of %s is not a search result: %w", base.Host, err)
	}
	return res, nil
}

var _ Searcher = (*Client)(nil)
var _ Searcher = (*Index)(nil)
