package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/staff"
)

// The accounts (三员分立): the system administrator makes accounts, disables
// them and resets passwords; the security officer gives roles and revokes
// tokens; the auditor reads. Who may do what is staff.Allowed, asked before
// every change. Everyone keeps their own API tokens (/staff/tokens). Temporary
// passwords and new tokens are shown once, on the page that answers the change,
// and stored nowhere but as hashes.

func (s *Server) staffAccountRoutes(g *echo.Group) {
	g.GET("/accounts", s.staffPage(s.accountsPage))
	g.POST("/accounts", s.staffCreateAccount)
	g.GET("/accounts/:id", s.staffPage(s.accountPage))
	g.POST("/accounts/:id/:change", s.staffChangeAccount)
	g.GET("/tokens", s.staffPage(s.tokensPage))
	g.POST("/tokens", s.staffIssueToken)
	g.POST("/tokens/:tid/revoke", s.staffRevokeOwnToken)
}

// mayReadAccounts: the three administrators see the accounts.
func mayReadAccounts(me staff.Account) error {
	if slices.ContainsFunc(me.Roles, staff.Separated) {
		return nil
	}
	return ErrForbidden
}

type accountsData struct {
	staffCommon
	Accounts []accountRow
	// Roles the system administrator may give a new account.
	CreateRoles []archive.Role
	Values      map[string]string
	Problems    []string
	// Created and Password: the account just made and its temporary password,
	// shown once.
	Created  *staff.Account
	Password string
}

type accountRow struct {
	staff.Account
	ActiveTokens int
}

func (s *Server) accountsData(ctx context.Context, rq *request, me staff.Account) (accountsData, error) {
	if err := mayReadAccounts(me); err != nil {
		return accountsData{}, err
	}
	list, err := s.opts.Staff.Accounts.Accounts(ctx)
	if err != nil {
		return accountsData{}, err
	}
	d := accountsData{staffCommon: s.common(rq, me, "accounts"), CreateRoles: []archive.Role{archive.RoleArchivist, archive.RoleInspector},
		Values: map[string]string{}}
	slices.SortFunc(list, func(a, b staff.Account) int { return strings.Compare(a.Login, b.Login) })
	now := s.now()
	for _, a := range list {
		row := accountRow{Account: a}
		for _, t := range a.Tokens {
			if t.Active(now) {
				row.ActiveTokens++
			}
		}
		d.Accounts = append(d.Accounts, row)
	}
	return d, nil
}

func (s *Server) accountsPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d, err := s.accountsData(ctx, rq, me)
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_accounts", Title: s.tmpl.msg(rq.Lang, "staff_accounts"), Data: d}, nil
}

// formRoles are the roles a form's checkboxes chose.
func formRoles(c echo.Context) []archive.Role {
	fp, _ := c.FormParams()
	var out []archive.Role
	for _, r := range fp["role"] {
		out = append(out, archive.Role(r))
	}
	return out
}

func (s *Server) staffCreateAccount(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	d, err := s.accountsData(ctx, rq, me)
	if err != nil {
		return err
	}
	login, name, roles := strings.TrimSpace(c.FormValue("login")), strings.TrimSpace(c.FormValue("name")), formRoles(c)
	d.Values = map[string]string{"login": login, "name": name}
	if err := staff.Allowed(me, staff.ChangeCreate, staff.Account{}, roles); err != nil {
		if errors.Is(err, staff.ErrNotAllowed) {
			return ErrForbidden
		}
		d.Problems = []string{err.Error()}
		return s.renderPrivate(c, rq, &page{name: "staff_accounts", status: http.StatusUnprocessableEntity, Title: s.tmpl.msg(rq.Lang, "staff_accounts"), Data: d})
	}
	pw := staff.TemporaryPassword()
	a, err := s.opts.Staff.Accounts.CreateAccount(ctx, staff.NewAccount{Login: login, Name: name, Roles: roles, Password: pw, MustChange: true}, actorOf(me))
	switch {
	case errors.Is(err, staff.ErrLoginTaken):
		d.Problems = []string{s.tmpl.msg(rq.Lang, "staff_login_taken")}
	case errors.Is(err, archive.ErrInvalid):
		d.Problems = []string{err.Error()}
	case err != nil:
		return err
	default:
		d, err = s.accountsData(ctx, rq, me)
		if err != nil {
			return err
		}
		d.Created, d.Password = &a, pw
		return s.renderPrivate(c, rq, &page{name: "staff_accounts", Title: s.tmpl.msg(rq.Lang, "staff_accounts"), Data: d})
	}
	return s.renderPrivate(c, rq, &page{name: "staff_accounts", status: http.StatusUnprocessableEntity, Title: s.tmpl.msg(rq.Lang, "staff_accounts"), Data: d})
}

type accountData struct {
	staffCommon
	Acc      staff.Account
	Tokens   []tokenView
	History  []accountVersion
	AllRoles []archive.Role
	// What me may do to Acc.
	MayDisable, MayReset, MayRoles, MayRevoke bool
	Password                                  string // a reset's temporary password, shown once
	Problems                                  []string
}

type accountVersion struct {
	staff.Account
	By string
}

func (s *Server) accountData(ctx context.Context, rq *request, me staff.Account, id string) (accountData, error) {
	if err := mayReadAccounts(me); err != nil {
		return accountData{}, err
	}
	acc, err := s.opts.Staff.Accounts.Account(ctx, id)
	if errors.Is(err, archive.ErrNotFound) {
		return accountData{}, errNotFound
	}
	if err != nil {
		return accountData{}, err
	}
	d := accountData{staffCommon: s.common(rq, me, "accounts"), Acc: acc, AllRoles: archive.Roles(),
		MayDisable: staff.Allowed(me, staff.ChangeDisable, acc, nil) == nil,
		MayReset:   staff.Allowed(me, staff.ChangeReset, acc, nil) == nil,
		MayRoles:   staff.Allowed(me, staff.ChangeRoles, acc, nil) == nil,
		MayRevoke:  staff.Allowed(me, staff.ChangeRevokeToken, acc, nil) == nil,
		Tokens:     tokenViews(acc.Tokens, s.now())}
	vs, err := s.opts.Staff.Accounts.History(ctx, id)
	if err != nil {
		return accountData{}, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		d.History = append(d.History, accountVersion{Account: vs[i], By: s.actorName(ctx, rq.Lang, vs[i].Actor)})
	}
	return d, nil
}

func (s *Server) accountPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	d, err := s.accountData(ctx, rq, me, rq.param("id"))
	if err != nil {
		return nil, err
	}
	return &page{name: "staff_account", Title: d.Acc.Name, Data: d}, nil
}

func (s *Server) staffChangeAccount(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	id := c.Param("id")
	d, err := s.accountData(ctx, rq, me, id)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	accts := s.opts.Staff.Accounts
	var change staff.Change
	var roles []archive.Role
	var do func() error
	switch c.Param("change") {
	case "disable", "enable":
		change = staff.ChangeDisable
		off := c.Param("change") == "disable"
		do = func() error { _, err := accts.SetDisabled(ctx, id, off, actorOf(me), reason); return err }
	case "reset":
		change = staff.ChangeReset
		pw := staff.TemporaryPassword()
		do = func() error {
			_, err := accts.SetPassword(ctx, id, pw, true, actorOf(me), reason)
			d.Password = pw
			return err
		}
	case "roles":
		change, roles = staff.ChangeRoles, formRoles(c)
		do = func() error { _, err := accts.SetRoles(ctx, id, roles, actorOf(me), reason); return err }
	case "revoke":
		change = staff.ChangeRevokeToken
		tid := c.FormValue("token")
		do = func() error { _, err := accts.RevokeToken(ctx, id, tid, actorOf(me), reason); return err }
	default:
		return errNotFound
	}
	if err := staff.Allowed(me, change, d.Acc, roles); errors.Is(err, staff.ErrNotAllowed) {
		return ErrForbidden
	} else if err != nil {
		d.Problems = []string{err.Error()}
	}
	if reason == "" {
		d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "staff_reason_required"))
	}
	if len(d.Problems) == 0 {
		err := do()
		switch {
		case errors.Is(err, archive.ErrInvalid) || errors.Is(err, archive.ErrNotFound):
			d.Problems = []string{err.Error()}
		case err != nil:
			return err
		case d.Password != "":
			// Shown once, on this answer: not a redirect.
			pw := d.Password
			if d, err = s.accountData(ctx, rq, me, id); err != nil {
				return err
			}
			d.Password, d.Done = pw, "done_reset"
			return s.renderPrivate(c, rq, &page{name: "staff_account", Title: d.Acc.Name, Data: d})
		default:
			return redirectDone(c, rq.Lang, "/staff/accounts/"+id, "done_account")
		}
	}
	d.Password = ""
	return s.renderPrivate(c, rq, &page{name: "staff_account", status: http.StatusUnprocessableEntity, Title: d.Acc.Name, Data: d})
}

// ---- one's own API tokens ----

type tokensData struct {
	staffCommon
	Tokens []tokenView
	// New is a token just issued, shown once.
	New      string
	Problems []string
}

func (s *Server) tokensPage(ctx context.Context, rq *request, me staff.Account) (*page, error) {
	return &page{name: "staff_tokens", Title: s.tmpl.msg(rq.Lang, "staff_tokens"),
		Data: tokensData{staffCommon: s.common(rq, me, "tokens"), Tokens: tokenViews(me.Tokens, s.now())}}, nil
}

// maxTokenDays bounds a token's life: a token for a script is renewed yearly.
const maxTokenDays = 366

func (s *Server) staffIssueToken(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	rq := s.requestOf(c)
	me := meOf(c)
	d := tokensData{staffCommon: s.common(rq, me, "tokens"), Tokens: tokenViews(me.Tokens, s.now())}
	name := strings.TrimSpace(c.FormValue("name"))
	days, err := strconv.Atoi(c.FormValue("days"))
	if err != nil || days < 1 || days > maxTokenDays {
		d.Problems = []string{s.tmpl.msg(rq.Lang, "staff_token_days")}
	}
	if name == "" || len(name) > 100 {
		d.Problems = append(d.Problems, s.tmpl.msg(rq.Lang, "staff_token_name"))
	}
	if len(d.Problems) > 0 {
		return s.renderPrivate(c, rq, &page{name: "staff_tokens", status: http.StatusUnprocessableEntity, Title: s.tmpl.msg(rq.Lang, "staff_tokens"), Data: d})
	}
	tok, acc, err := s.opts.Staff.Accounts.IssueToken(ctx, me.ID, name, time.Duration(days)*24*time.Hour, actorOf(me))
	if err != nil {
		return err
	}
	d.Tokens, d.New, d.Done = tokenViews(acc.Tokens, s.now()), tok, "done_token"
	return s.renderPrivate(c, rq, &page{name: "staff_tokens", Title: s.tmpl.msg(rq.Lang, "staff_tokens"), Data: d})
}

func (s *Server) staffRevokeOwnToken(c echo.Context) error {
	if err := checkFormCSRF(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	me := meOf(c)
	_, err := s.opts.Staff.Accounts.RevokeToken(ctx, me.ID, c.Param("tid"), actorOf(me), "revoked by its holder")
	if errors.Is(err, archive.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return redirectDone(c, langOf(c.Request().URL.Path), "/staff/tokens", "done_revoked")
}

// tokenView is a token as the lists show it, newest first.
type tokenView struct {
	staff.Token
	State string // active, expired or revoked
}

func tokenViews(ts []staff.Token, now time.Time) []tokenView {
	out := make([]tokenView, 0, len(ts))
	for i := len(ts) - 1; i >= 0; i-- {
		t := ts[i]
		v := tokenView{Token: t, State: "active"}
		switch {
		case !t.RevokedAt.IsZero():
			v.State = "revoked"
		case !t.Active(now):
			v.State = "expired"
		}
		out = append(out, v)
	}
	return out
}
