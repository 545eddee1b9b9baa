package portal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
)

// The query-code notice (查询码通知书): one A4 page per household, handed over on
// paper, with the project, the household number, the code in large letters and
// how to use it. Staff get it as a printable page and as a PDF right when the
// codes are issued: the code is shown that once, and only its hash is kept.
//
// The PDF is set in two TrueType fonts the server reads at start: a CJK font
// (Debian's fonts-droid-fallback: DroidSansFallbackFull.ttf, which has no Latin
// letters) and a Latin one (fonts-dejavu-core: DejaVuSans.ttf); fpdf embeds the
// subset of glyphs used (a notice is about 30 KB).

// NoticeFonts name the font files of the PDF notices.
type NoticeFonts struct {
	CJK, Latin string
}

// DefaultNoticeFonts are where Debian installs the fonts.
func DefaultNoticeFonts() NoticeFonts {
	return NoticeFonts{CJK: "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
		Latin: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}
}

// noticeFonts are the fonts' bytes, read once when first needed.
type noticeFonts struct {
	once       sync.Once
	names      NoticeFonts
	cjk, latin []byte
	err        error
}

// ErrNoFonts: the PDF notice cannot be made without its fonts; the printable
// page can.
var ErrNoFonts = errors.New("the fonts of the PDF notices are not installed (apt-get install fonts-droid-fallback fonts-dejavu-core, or give their files)")

func newNoticeFonts(n *NoticeFonts) *noticeFonts {
	names := DefaultNoticeFonts()
	if n != nil {
		names = *n
	}
	return &noticeFonts{names: names}
}

func (f *noticeFonts) load() error {
	f.once.Do(func() {
		var e1, e2 error
		f.cjk, e1 = os.ReadFile(f.names.CJK)
		f.latin, e2 = os.ReadFile(f.names.Latin)
		if err := errors.Join(e1, e2); err != nil {
			f.err = fmt.Errorf("%w: %v", ErrNoFonts, err)
		}
	})
	return f.err
}

// notice is one household's notice.
type notice struct {
	ProjectName string
	Project     string
	Household   string
	// Head is the head of household's name, masked (张*): enough for staff to
	// hand the notice to the right door, nothing for a finder.
	Head string
	Code string // formatted: K7M3-PXAC-EFHJ
	// Address is where to enter it; Hotline whom to call.
	Address string
	Hotline string
	Issued  archive.Date
}

// notices makes the notices of freshly issued codes. site is the portal's
// address as residents reach it: Options.BaseURL, else the address the staff
// member used.
func (s *Server) notices(site string, p archive.Project, reg households.Register, issued map[string]string, order []string) []notice {
	addr := s.opts.BaseURL
	if addr == "" {
		addr = site
	}
	if addr == "" {
		addr = "（本网站）"
	}
	var out []notice
	for _, hh := range order {
		n := notice{ProjectName: p.Name, Project: p.Code, Household: hh, Code: households.FormatCode(issued[hh]),
			Address: addr + "/household", Hotline: p.Hotline, Issued: s.today()}
		if row, ok := reg.Household(hh); ok {
			if col := reg.Roles[households.RoleHead]; col != "" {
				n.Head = households.MaskValue(archive.MaskName, reg.Value(row, col))
			}
		}
		out = append(out, n)
	}
	return out
}

// noticePDF sets the notices as a PDF, one A4 page each.
func (s *Server) noticePDF(ns []notice) ([]byte, error) {
	f := s.hh.fonts
	if err := f.load(); err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator("Gongshi", true)
	pdf.SetTitle("查询码通知书", true)
	pdf.SetCreationDate(time.Unix(0, 0).UTC()) // the PDF holds no time of its own
	pdf.AddUTF8FontFromBytes("cjk", "", f.cjk)
	pdf.AddUTF8FontFromBytes("latin", "", f.latin)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(false, 20)
	for _, n := range ns {
		pdf.AddPage()
		write := func(size float64, lineH float64, text string) {
			mixed(pdf, size, lineH, text)
			pdf.Ln(lineH)
		}
		write(22, 14, "房屋征收信息查询码通知书")
		pdf.Ln(4)
		write(14, 9, "项目："+n.ProjectName)
		write(14, 9, "项目编号："+n.Project)
		write(16, 10, "户号："+n.Household)
		if n.Head != "" {
			write(14, 9, "户主："+n.Head)
		}
		pdf.Ln(6)
		write(14, 9, "您的查询码：")
		pdf.SetFont("latin", "", 34)
		pdf.SetLineWidth(0.6)
		pdf.CellFormat(0, 22, n.Code, "1", 1, "C", false, 0, "")
		pdf.Ln(6)
		for _, line := range []string{
			"使用方法：",
			"1. 用手机或电脑打开 " + n.Address,
			"2. 输入户号和上面的查询码（不分大小写，短横线可以不输）。",
			"3. 可以看到本户的评估报告、协议、决定等文件，本项目的公示材料，",
			"   以及本户申请复核、鉴定的期限还剩几天。",
			"",
			"查询码可以反复使用，请妥善保管，不要告诉他人。",
			"如果遗失或被他人知道，请到征收部门申请重新发放，原查询码随即失效。",
		} {
			write(13, 8, line)
		}
		if n.Hotline != "" {
			write(13, 8, "咨询、投诉电话："+n.Hotline)
		}
		pdf.Ln(4)
		write(12, 8, fmt.Sprintf("发放日期：%d年%d月%d日", n.Issued.Year, int(n.Issued.Month), n.Issued.Day))
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("portal: notice PDF: %w", err)
	}
	return b.Bytes(), nil
}

// mixed writes text on one line, each run of characters in the font that has
// them: Chinese in the CJK font, Latin letters, digits and ASCII punctuation in
// the Latin one.
func mixed(pdf *fpdf.Fpdf, size, lineH float64, text string) {
	var run strings.Builder
	latin := false
	flush := func() {
		if run.Len() == 0 {
			return
		}
		if latin {
			pdf.SetFont("latin", "", size*0.9)
		} else {
			pdf.SetFont("cjk", "", size)
		}
		pdf.Write(lineH, run.String())
		run.Reset()
	}
	for i, r := range text {
		l := r < 0x2E80 && !unicode.Is(unicode.Han, r)
		if i == 0 {
			latin = l
		}
		if l != latin {
			flush()
			latin = l
		}
		run.WriteRune(r)
	}
	flush()
}
