package staff

import (
	"fmt"
	"slices"

	"github.com/gongshi-archive/gongshi/archive"
)

// Who may change which account: a pure rule, so that the pages, the API and the
// tests ask the same question. The three administrators keep each other in check
// (三员分立): the system administrator makes and disables accounts and resets
// passwords but gives no administrator's role; the security officer gives roles
// and revokes tokens but makes no account; the auditor changes nothing and reads
// who did what. Nobody changes their own roles, disables themselves or resets
// their own password through another's power. Everyone changes their own password
// and keeps their own API tokens. The gongshi command on the server's machine
// (ActorCLI) is not asked: whoever runs it holds the store.

// Change is a kind of change to an account.
type Change string

// The changes.
const (
	ChangeCreate      Change = "create"       // make a new account (with the roles given)
	ChangeDisable     Change = "disable"      // disable or enable
	ChangeReset       Change = "reset"        // set another's password (they change it at next login)
	ChangeRoles       Change = "roles"        // give roles (to the roles given)
	ChangeOwnPassword Change = "own_password" // one's own password
	ChangeOwnToken    Change = "own_token"    // issue or revoke one's own token
	ChangeRevokeToken Change = "revoke_token" // revoke another's token
)

// Allowed says whether account by may make change to target (for ChangeCreate
// and ChangeRoles, with the roles the target would then hold): nil, or an error
// wrapping ErrNotAllowed that says why.
func Allowed(by Account, change Change, target Account, roles []archive.Role) error {
	no := func(why string) error { return fmt.Errorf("%w: %s", ErrNotAllowed, why) }
	if by.Disabled {
		return no("the account is disabled")
	}
	self := by.ID == target.ID
	switch change {
	case ChangeOwnPassword, ChangeOwnToken:
		if !self {
			return no("only for one's own account")
		}
		return nil
	}
	if self {
		return no("not for one's own account: ask another administrator")
	}
	switch change {
	case ChangeCreate:
		if !by.HasRole(archive.RoleSystemAdmin) {
			return no("only the system administrator makes accounts")
		}
		if slices.ContainsFunc(roles, Separated) {
			return no("the system administrator gives no administrator's role: the security officer does")
		}
		return checkRoles(roles)
	case ChangeDisable, ChangeReset:
		if !by.HasRole(archive.RoleSystemAdmin) {
			return no("only the system administrator disables accounts and resets passwords")
		}
		return nil
	case ChangeRoles:
		if !by.HasRole(archive.RoleSecurityOfficer) {
			return no("only the security officer gives roles")
		}
		return checkRoles(roles)
	case ChangeRevokeToken:
		if !by.HasRole(archive.RoleSecurityOfficer) {
			return no("only the security officer revokes another's tokens")
		}
		return nil
	}
	return no("unknown change " + string(change))
}

func checkRoles(roles []archive.Role) error {
	if err := CheckRoles(roles); err != nil {
		return fmt.Errorf("%w: %v", archive.ErrInvalid, err)
	}
	return nil
}
