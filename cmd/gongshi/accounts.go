package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/staff"
)

// gongshi accounts: the staff accounts, from the server's machine. Whoever can
// run gongshi there holds the store (and the ledger's key), so these commands
// are not asked for a login: they are how the first administrator is made, and
// how an administrator locked out gets back in. Every change is a ledgered
// version with the actor "cli".

func newAccountsCmd(e env, cfg *config) *cobra.Command {
	c := &cobra.Command{
		Use:   "accounts",
		Short: "Staff accounts (工作人员账号): create, list, disable, reset, roles, API tokens",
		Long: `The staff accounts of the portal's staff pages and API. Roles: archivist,
inspector, and the three separated administrators — system_admin, security_officer
and auditor (三员分立: no account holds two of them).

Run on the server's machine, with the archive's settings. Make the first system
administrator with 'gongshi accounts create'; the others can then be made in the
staff pages (/staff/accounts). A new account gets a temporary password, printed
once, that its holder must change at the first login (or read one from stdin with
--password-stdin).`,
		Args: cobra.NoArgs,
		RunE: groupHelp,
	}
	c.AddCommand(newAccountsCreateCmd(e, cfg), newAccountsListCmd(e, cfg), newAccountsChangeCmd(e, cfg, "disable"),
		newAccountsChangeCmd(e, cfg, "enable"), newAccountsChangeCmd(e, cfg, "reset"), newAccountsChangeCmd(e, cfg, "roles"),
		newAccountsTokenCmd(e, cfg), newAccountsRevokeCmd(e, cfg))
	return c
}

// withStaff calls fn with the staff service over the archive (withService);
// the settings of the service (--argon2) are checked before anything is opened.
func (c *config) withStaff(ctx context.Context, e env, fn func(*staff.Service) error) error {
	so, err := c.staffOptions(e)
	if err != nil {
		return err
	}
	return withService(ctx, c, e, func(o *opened) (*staff.Service, error) { return staff.New(o.a, o.st, so), nil }, fn)
}

// accountByLogin is the account with login; an unknown login is exit 1 with a
// line saying so.
func accountByLogin(ctx context.Context, svc *staff.Service, login string) (staff.Account, error) {
	a, err := svc.AccountByLogin(ctx, login)
	if errors.Is(err, archive.ErrNotFound) {
		return a, &exitError{code: exitNo, err: fmt.Errorf("no account with login %q ('gongshi accounts list' shows them)", login)}
	}
	return a, err
}

func parseRoles(ss []string) ([]archive.Role, error) {
	var out []archive.Role
	for _, s := range ss {
		for _, r := range strings.Split(s, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, archive.Role(r))
			}
		}
	}
	return out, staff.CheckRoles(out)
}

// readPassword reads one line from stdin: a password given to --password-stdin.
func readPassword(e env) (string, error) {
	if e.stdin == nil {
		return "", errors.New("--password-stdin: nothing on stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, staff.MaxPassword+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("--password-stdin: %v", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := staff.CheckPasswordRule(pw); err != nil {
		return "", fmt.Errorf("--password-stdin: %v", err)
	}
	return pw, nil
}

type accountJSON struct {
	ID         string         `json:"id"`
	Version    int            `json:"version"`
	Login      string         `json:"login"`
	Name       string         `json:"name"`
	Roles      []archive.Role `json:"roles"`
	Disabled   bool           `json:"disabled"`
	MustChange bool           `json:"must_change"`
	Tokens     int            `json:"active_tokens"`
	CreatedAt  time.Time      `json:"created_at"`
	// Password and Token are shown once, when made.
	Password string `json:"temporary_password,omitempty"`
	Token    string `json:"token,omitempty"`
}

func accountOut(a staff.Account, now time.Time) accountJSON {
	j := accountJSON{ID: a.ID, Version: a.Version, Login: a.Login, Name: a.Name, Roles: a.Roles, Disabled: a.Disabled,
		MustChange: a.MustChange, CreatedAt: a.CreatedAt}
	if j.Roles == nil {
		j.Roles = []archive.Role{}
	}
	for _, t := range a.Tokens {
		if t.Active(now) {
			j.Tokens++
		}
	}
	return j
}

func rolesText(rs []archive.Role) string {
	if len(rs) == 0 {
		return "-"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func printAccount(e env, j accountJSON, asJSON bool, head string) error {
	if asJSON {
		return writeJSON(e.stdout, j)
	}
	fmt.Fprintf(e.stdout, "%s %s (%s)\n", head, termsafe.Escape(j.Login), termsafe.Escape(j.Name))
	fmt.Fprintf(e.stdout, "  id:        %s (version %d)\n  roles:     %s\n", j.ID, j.Version, rolesText(j.Roles))
	if j.Disabled {
		fmt.Fprintln(e.stdout, "  disabled")
	}
	if j.Password != "" {
		fmt.Fprintf(e.stdout, "  temporary password (shown once; the holder must change it at the first login):\n    %s\n", j.Password)
	}
	if j.Token != "" {
		fmt.Fprintf(e.stdout, "  API token (shown once; keep it like a password):\n    %s\n", j.Token)
	}
	return nil
}

func newAccountsCreateCmd(e env, cfg *config) *cobra.Command {
	var (
		login, name string
		roles       []string
		pwStdin     bool
		asJSON      bool
	)
	c := &cobra.Command{
		Use:   "create --login LOGIN --name NAME [--role ROLE ...]",
		Short: "Create an account (the first system administrator, for example)",
		Example: `  gongshi accounts create --login admin --name 王建国 --role system_admin
  gongshi accounts create --login li.na --name 李娜 --role archivist --password-stdin < pw.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			pw, must := staff.TemporaryPassword(), true
			if pwStdin {
				if pw, err = readPassword(e); err != nil {
					return err
				}
				must = false
			}
			return cfg.withStaff(cmd.Context(), e, func(svc *staff.Service) error {
				a, err := svc.CreateAccount(cmd.Context(), staff.NewAccount{Login: login, Name: name, Roles: rs, Password: pw, MustChange: must}, archive.ActorCLI)
				if errors.Is(err, staff.ErrLoginTaken) {
					return &exitError{code: exitNo, err: fmt.Errorf("login %q is taken: choose another", staff.NormalizeLogin(login))}
				}
				if err != nil {
					return err
				}
				j := accountOut(a, e.now())
				if must {
					j.Password = pw
				}
				return printAccount(e, j, asJSON, "created account")
			})
		},
	}
	f := c.Flags()
	f.StringVar(&login, "login", "", "login (2-32 of a-z, 0-9, '.', '_', '-'; not a person's real name)")
	f.StringVar(&name, "name", "", "the person's name as colleagues know it")
	f.StringSliceVar(&roles, "role", nil, "role: archivist, inspector, system_admin, security_officer or auditor (repeat or separate with commas)")
	f.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin instead of making a temporary one")
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	c.MarkFlagRequired("login")
	c.MarkFlagRequired("name")
	return c
}

func newAccountsListCmd(e env, cfg *config) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cfg.withStaff(cmd.Context(), e, func(svc *staff.Service) error {
				list, err := svc.Accounts(cmd.Context())
				if err != nil {
					return err
				}
				out := make([]accountJSON, 0, len(list))
				for _, a := range list {
					out = append(out, accountOut(a, e.now()))
				}
				if asJSON {
					return writeJSON(e.stdout, out)
				}
				rows := [][]string{{"登录名 LOGIN", "姓名 NAME", "角色 ROLES", "状态 STATE", "ID"}}
				for _, j := range out {
					state := "active"
					if j.Disabled {
						state = "disabled"
					} else if j.MustChange {
						state = "must change password"
					}
					rows = append(rows, []string{j.Login, j.Name, rolesText(j.Roles), state, j.ID})
				}
				return writeTable(e.stdout, rows)
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

// newAccountsChangeCmd is disable, enable, reset and roles: a change to one
// account, with its reason.
func newAccountsChangeCmd(e env, cfg *config, what string) *cobra.Command {
	var (
		reason string
		roles  []string
		asJSON bool
	)
	short := map[string]string{
		"disable": "Disable an account: it cannot log in, its sessions and tokens stop working",
		"enable":  "Enable a disabled account again",
		"reset":   "Give an account a temporary password (printed once; its sessions end)",
		"roles":   "Set an account's roles (replacing the ones it has)",
	}[what]
	use := what + " LOGIN --reason REASON"
	if what == "roles" {
		use = "roles LOGIN --role ROLE ... --reason REASON"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason: say why (it is kept with the change)")
			}
			var rs []archive.Role
			if what == "roles" {
				var err error
				if rs, err = parseRoles(roles); err != nil {
					return err
				}
			}
			return cfg.withStaff(ctx, e, func(svc *staff.Service) error {
				a, err := accountByLogin(ctx, svc, args[0])
				if err != nil {
					return err
				}
				var pw string
				switch what {
				case "disable", "enable":
					a, err = svc.SetDisabled(ctx, a.ID, what == "disable", archive.ActorCLI, reason)
				case "reset":
					pw = staff.TemporaryPassword()
					a, err = svc.SetPassword(ctx, a.ID, pw, true, archive.ActorCLI, reason)
				case "roles":
					a, err = svc.SetRoles(ctx, a.ID, rs, archive.ActorCLI, reason)
				}
				if err != nil {
					return err
				}
				j := accountOut(a, e.now())
				j.Password = pw
				return printAccount(e, j, asJSON, what+":")
			})
		},
	}
	f := c.Flags()
	f.StringVar(&reason, "reason", "", "why (kept with the change)")
	if what == "roles" {
		f.StringSliceVar(&roles, "role", nil, "role (repeat or separate with commas; none removes every role)")
	}
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func newAccountsTokenCmd(e env, cfg *config) *cobra.Command {
	var (
		name   string
		days   int
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "token LOGIN --name WHAT-FOR [--days 90]",
		Short: "Make an API token for an account (printed once) for 'gongshi ingest --server URL --token T'",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(name) == "" {
				return errors.New("--name: say what the token is for")
			}
			if days < 0 || days > 3660 {
				return fmt.Errorf("--days %d: 0 (never expires) to 3660", days)
			}
			return cfg.withStaff(ctx, e, func(svc *staff.Service) error {
				a, err := accountByLogin(ctx, svc, args[0])
				if err != nil {
					return err
				}
				tok, a, err := svc.IssueToken(ctx, a.ID, name, time.Duration(days)*24*time.Hour, archive.ActorCLI)
				if err != nil {
					return err
				}
				j := accountOut(a, e.now())
				j.Token = tok
				return printAccount(e, j, asJSON, "token made for")
			})
		},
	}
	f := c.Flags()
	f.StringVar(&name, "name", "", "what the token is for (e.g. 扫描工作站)")
	f.IntVar(&days, "days", 90, "days until it expires (0: never)")
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func newAccountsRevokeCmd(e env, cfg *config) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "revoke-token LOGIN TOKEN-ID --reason REASON",
		Short: "Revoke an API token of an account",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason: say why")
			}
			return cfg.withStaff(ctx, e, func(svc *staff.Service) error {
				a, err := svc.AccountByLogin(ctx, args[0])
				if err == nil {
					_, err = svc.RevokeToken(ctx, a.ID, args[1], archive.ActorCLI, reason)
				}
				if errors.Is(err, archive.ErrNotFound) {
					return &exitError{code: exitNo, err: fmt.Errorf("no account %q or no token %q of it", args[0], args[1])}
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "revoked token %s of %s\n", termsafe.Escape(args[1]), termsafe.Escape(a.Login))
				return nil
			})
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}
