package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/staff"
)

// The notices of codes just issued: the response to the issuing form is the
// printable page (one A4 sheet per household) and nothing keeps the codes
// after it. The PDF of the same notices is made on request from that page: its
// form carries the households and codes back, sealed with an HMAC under the
// server's household-session key and good for noticeFor, so the PDF route makes
// notices only of codes this server issued, and still keeps nothing. Both
// answers are private, no-store; no code reaches a log line, a metric or the
// trail.

// noticeFor is how long the notice page's PDF form works.
const noticeFor = time.Hour

// sealedNotices is what the notice page's PDF form carries.
type sealedNotices struct {
	Project string            `json:"p"`
	Order   []string          `json:"o"`
	Codes   map[string]string `json:"c"`
	Expires int64             `json:"e"`
}

func (s *Server) noticeMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.hh.o.SessionKey)
	m.Write([]byte("gongshi code notice v1\n"))
	m.Write(payload)
	return m.Sum(nil)
}

// sealNotices writes the notices' data for the PDF form.
func (s *Server) sealNotices(n sealedNotices) string {
	payload, _ := json.Marshal(n)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.noticeMAC(payload))
}

// errNoticeGone: the PDF form is older than noticeFor, or not this server's.
var errNoticeGone = &userError{status: http.StatusGone, msg: "staff_hh_notice_gone", err: ErrBadRequest}

func (s *Server) openNotices(v string, now time.Time) (sealedNotices, error) {
	enc := base64.RawURLEncoding
	p64, m64, ok := strings.Cut(v, ".")
	payload, e1 := enc.DecodeString(p64)
	mac, e2 := enc.DecodeString(m64)
	if !ok || e1 != nil || e2 != nil || !hmac.Equal(mac, s.noticeMAC(payload)) {
		return sealedNotices{}, errNoticeGone
	}
	var n sealedNotices
	if err := json.Unmarshal(payload, &n); err != nil || now.Unix() > n.Expires {
		return sealedNotices{}, errNoticeGone
	}
	return n, nil
}

type staffNoticeData struct {
	staffCommon
	Project archive.Project
	Notices []notice
	Sealed  string
	// NoFonts: the server has not the fonts of the PDF.
	NoFonts bool
	// Problems: the batch stopped before its end.
	Problems []string
}

// renderNotices answers with the printable notices of the codes just issued.
func (s *Server) renderNotices(c echo.Context, rq *request, me staff.Account, p archive.Project, reg households.Register,
	issued map[string]string, order []string, problems []string) error {
	d := staffNoticeData{staffCommon: s.common(rq, me, "households"), Project: p, Notices: s.notices(siteOf(c), p, reg, issued, order),
		Problems: problems}
	if s.hh.fonts.load() != nil {
		d.NoFonts = true
	} else {
		d.Sealed = s.sealNotices(sealedNotices{Project: p.Code, Order: order, Codes: issued, Expires: s.now().Add(noticeFor).Unix()})
	}
	return s.renderPrivate(c, rq, &page{name: "staff_household_notice", Title: s.tmpl.msg(rq.Lang, "staff_hh_notice"), Data: d})
}

// staffNoticePDF answers the notice page's PDF form with the notices as a PDF.
func (s *Server) staffNoticePDF(c echo.Context) error {
	ctx := c.Request().Context()
	_, me, p, err := s.hhForm(c)
	if err != nil {
		return err
	}
	n, err := s.openNotices(c.FormValue("notices"), s.now())
	if err != nil {
		return err
	}
	if n.Project != p.Code {
		return errNoticeGone
	}
	reg, err := s.householdsOrNil().Register(ctx, p.Code)
	if err != nil {
		return err
	}
	pdf, err := s.noticePDF(s.notices(siteOf(c), p, reg, n.Codes, n.Order))
	if errors.Is(err, ErrNoFonts) {
		return &userError{status: http.StatusServiceUnavailable, msg: "staff_hh_no_fonts", err: err}
	}
	if err != nil {
		return err
	}
	if err := s.hhTrail(c, me, "household_notice_pdf", "project "+p.Code,
		fmt.Sprintf("%d notice(s): %s", len(n.Order), strings.Join(n.Order, ", "))); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", `attachment; filename="notice-`+p.Code+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// siteOf is the portal's address as the request reached it.
func siteOf(c echo.Context) string {
	host := c.Request().Host
	if host == "" || strings.ContainsAny(host, "/\\ <>\"'") {
		return ""
	}
	return c.Scheme() + "://" + host
}

// checkNoticeFonts says at start when the PDF notices cannot be made: the
// printable page still works, and its PDF link says why there is none.
func (s *Server) checkNoticeFonts() {
	if err := s.hh.fonts.load(); err != nil {
		s.log.Warn("query-code notices: printable page only, no PDF", "err", err)
	}
}
