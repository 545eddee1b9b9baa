package portal

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/gongshi-archive/gongshi/archive"
)

// ViewerKind says which of the three kinds of visitor a Viewer is: the
// archive's kinds (the zero value is the public: a request that proves nothing is
// a member of the public).
type ViewerKind = archive.ViewerKind

// The kinds of viewer.
const (
	ViewerPublic    = archive.ViewerPublic
	ViewerHousehold = archive.ViewerHousehold
	ViewerStaff     = archive.ViewerStaff
	// ViewerRequester is the holder of a disclosure request's link, on that
	// ticket's pages only (request.go): never decided from a cookie.
	ViewerRequester = archive.ViewerRequester
)

// Viewer is who a request is from. It decides what the pages show: the portal
// asks the index and the archive's visibility rules (archive.Visibility) with
// it, and caches pages only for the public.
type Viewer struct {
	Kind ViewerKind
	// Project and Household identify a household viewer (户号 within its project).
	Project   string
	Household string
	// Account and Roles identify a staff viewer. An account may hold several
	// roles (never two of the three administrators'); it sees what the most
	// trusted of them may.
	Account string
	Roles   []archive.Role
	// Ticket is a requester's ticket id.
	Ticket string
}

// publicViewer is the viewer of a request that proves nothing.
var publicViewer = Viewer{}

// IsPublic reports whether v is the public.
func (v Viewer) IsPublic() bool { return v.Kind == ViewerPublic }

// HasRole reports whether v is staff holding role r.
func (v Viewer) HasRole(r archive.Role) bool {
	return v.Kind == ViewerStaff && slices.Contains(v.Roles, r)
}

// archiveViewers are v as the archive's visibility rules know viewers: one per
// role for staff.
func (v Viewer) archiveViewers() []archive.Viewer {
	switch v.Kind {
	case ViewerHousehold:
		return []archive.Viewer{archive.HouseholdViewer(v.Project, v.Household)}
	case ViewerRequester:
		return []archive.Viewer{archive.RequesterViewer(v.Ticket)}
	case ViewerStaff:
		out := make([]archive.Viewer, 0, len(v.Roles))
		for _, r := range v.Roles {
			out = append(out, archive.StaffViewer(r))
		}
		if len(out) > 0 {
			return out
		}
	}
	return []archive.Viewer{archive.PublicViewer()}
}

// AccessTo is what v may see of a record whose visibility is vis: the most any
// of its roles may.
func (v Viewer) AccessTo(vis archive.Visible) archive.Access {
	best := archive.AccessNone
	for _, av := range v.archiveViewers() {
		best = max(best, vis.For(av))
	}
	return best
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer ctx carries: the public when none was set.
func ViewerFrom(ctx context.Context) Viewer {
	if v, ok := ctx.Value(viewerKey{}).(Viewer); ok {
		return v
	}
	return publicViewer
}

// An Authenticator tells who a request is from, from the credentials it carries
// (a staff session cookie, an API token, a household's session). Staff and
// household logins are Authenticators given to the server in Options.
type Authenticator interface {
	// Authenticate returns the viewer the request proves it is, and ok false when
	// it carries none of this authenticator's credentials. Credentials that are
	// present but wrong (an expired session, a forged cookie) return an error
	// wrapping ErrUnauthenticated: the request is refused, rather than served as
	// the public, so that a person whose session ended learns it.
	Authenticate(r *http.Request) (v Viewer, ok bool, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (Viewer, bool, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Viewer, bool, error) { return f(r) }

// Errors that handlers return for the error handler to map to statuses.
var (
	// ErrUnauthenticated: the route needs a login the request lacks, or its
	// credentials are wrong or expired (401, or a redirect to the login page).
	ErrUnauthenticated = errors.New("not logged in")
	// ErrForbidden: the viewer is known but lacks the role (403). Never used for
	// records: a record the viewer may not see is ErrNotFound.
	ErrForbidden = errors.New("forbidden")
	// ErrBadRequest: the request is malformed (400); wrap it with what is wrong,
	// in words the visitor may read (badRequest).
	ErrBadRequest = errors.New("bad request")
	// ErrTooLarge: an upload over its limit (413).
	ErrTooLarge = errors.New("request too large")
)

// decideViewer asks each authenticator in turn; the first that recognises its
// credentials decides.
func decideViewer(auths []Authenticator, r *http.Request) (Viewer, error) {
	for _, a := range auths {
		v, ok, err := a.Authenticate(r)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				err = errors.Join(ErrUnauthenticated, err)
			}
			return publicViewer, err
		}
		if ok {
			return v, nil
		}
	}
	return publicViewer, nil
}
