package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

// The command line through a running portal's API (/api/v1): 'gongshi ingest
// --server URL --token T' files as the token's account from another machine,
// and 'gongshi verify --server URL' checks a file against the receipts the
// server hands out, with the verifier key alone (the server is not trusted).

// remoteFlags name the server and the API token.
type remoteFlags struct {
	server string
	token  string
}

func (fl *remoteFlags) addFlags(f *pflag.FlagSet, withToken bool) {
	f.StringVar(&fl.server, "server", "", "a running gongshi serve to work through (http://HOST:PORT), instead of the data directory")
	if withToken {
		f.StringVar(&fl.token, "token", "", "the staff API token (env GONGSHI_TOKEN; prefer it: flags show in process lists)")
	}
}

// apiClient talks to a portal's API.
type apiClient struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// client returns the API client of the flags; the token from GONGSHI_TOKEN when
// --token is not given.
func (fl *remoteFlags) client(e env, needToken bool) (*apiClient, error) {
	u, err := url.Parse(strings.TrimSuffix(fl.server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: give the portal's address, like http://127.0.0.1:8080", fl.server)
	}
	tok := fl.token
	if tok == "" {
		tok = strings.TrimSpace(e.getenv("GONGSHI_TOKEN"))
	}
	if needToken && tok == "" {
		return nil, errors.New("--server needs a staff API token: --token T or GONGSHI_TOKEN (make one in the staff pages, /staff/tokens, or with 'gongshi accounts token')")
	}
	return &apiClient{base: u, token: tok, hc: &http.Client{Timeout: 30 * time.Minute}}, nil
}

// maxAPIAnswer bounds what is read of an answer.
const maxAPIAnswer = 64 << 20

// do sends a request to path and decodes a JSON answer of one of the ok
// statuses into out; any other status is an error with the server's message.
func (c *apiClient) do(ctx context.Context, method, path, ctype string, body io.Reader, out any, ok ...int) (int, error) {
	u := c.base.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach %s: %v", c.base.Host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIAnswer))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer of %s: %v", c.base.Host, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("the answer of %s is not what the API gives: %v", c.base.Host, err)
			}
			return resp.StatusCode, nil
		}
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	hint := ""
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		hint = " (the token is wrong, revoked or expired)"
	case http.StatusForbidden:
		hint = " (the token's account lacks the role: filing is the archivist's)"
	}
	return resp.StatusCode, fmt.Errorf("%s answered %s: %s%s", c.base.Host, resp.Status, msg, hint)
}

// remoteResult is the API's answer to a filing.
type remoteResult struct {
	ingest.Result
	Problems    []string        `json:"problems"`
	Publication json.RawMessage `json:"publication"`
	PublishErr  string          `json:"publish_error"`
}

// metaFields is a record's metadata as the API's form fields (the flags' names).
func metaFields(r archive.Record) map[string]string {
	f := map[string]string{"project": r.Project, "type": r.Type, "title": r.Title, "doc_number": r.DocNumber,
		"issuer": r.Issuer, "disclosure": string(r.Disclosure), "retention": string(r.Retention),
		"archival_code": r.ArchivalCode, "household": r.Household, "abstract": r.Abstract, "keywords": strings.Join(r.Keywords, "、")}
	if !r.Date.IsZero() {
		f["date"] = r.Date.String()
	}
	return f
}

// file uploads the document at path with its metadata fields (streamed: the
// file is not held in memory) and returns the server's result.
func (c *apiClient) file(ctx context.Context, path, name string, fields map[string]string, publish bool) (remoteResult, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return remoteResult{}, fmt.Errorf("cannot read %s: %v", termsafe.Escape(path), unwrapPath(err))
	}
	defer f.Close()
	if name == "" {
		name = filepath.Base(path)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if v == "" {
					continue
				}
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			if publish {
				if err := mw.WriteField("publish", "true"); err != nil {
					return err
				}
			}
			w, err := mw.CreateFormFile("file", name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	var res remoteResult
	_, err = c.do(ctx, http.MethodPost, "/api/v1/records", mw.FormDataContentType(), pr, &res,
		http.StatusCreated, http.StatusOK, http.StatusUnprocessableEntity)
	if err != nil {
		return remoteResult{}, err
	}
	res.Path = path
	if res.Status == ingest.StatusRejected && len(res.Reasons) == 0 {
		res.Reasons = res.Problems
	}
	return res, nil
}

// receipts asks the server for the receipts of the record versions whose
// content has SHA-256 h (those the caller may see).
func (c *apiClient) receipts(ctx context.Context, h archive.Hash) ([]proof.Receipt, error) {
	var out struct {
		Matches []struct {
			Receipt json.RawMessage `json:"receipt"`
		} `json:"matches"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/verify/sha256/"+h.String(), "", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	var rs []proof.Receipt
	for _, m := range out.Matches {
		r, err := proof.ParseReceipt(m.Receipt)
		if err != nil {
			return nil, fmt.Errorf("%s handed out a receipt that is not one: %w", c.base.Host, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}
