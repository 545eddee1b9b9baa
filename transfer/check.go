package transfer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/verify"
)

// Checked is what Check found of a bag.
type Checked struct {
	Dir string `json:"dir"`
	// Valid: the bag is valid as RFC 8493 says (complete, and every manifest
	// entry's checksum matches), and so is Gongshi's layer in it.
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems,omitempty"`
	Version  string   `json:"bagit_version,omitempty"`
	// Files and Bytes are the payload's as found.
	Files      int64    `json:"files"`
	Bytes      int64    `json:"bytes"`
	Algorithms []string `json:"algorithms"`
	// Project and Records are from bag-info.txt; Receipts the receipts that
	// verified against the ledger key, KeyFromBag whether that key was the one
	// in the bag (which proves the bag whole, not who made it).
	Project    string `json:"project,omitempty"`
	Records    int    `json:"records"`
	Receipts   int    `json:"receipts_verified"`
	KeyFromBag bool   `json:"key_from_bag,omitempty"`
	// TransferCheck is the verdict of the four-property check the exporter made.
	TransferCheck string `json:"transfer_check,omitempty"`
}

func (c *Checked) problem(format string, args ...any) {
	c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
}

// hashes are the algorithms Check can compute (RFC 8493 §2.4 and the IANA
// names, with sm3).
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New, "sm3": sm3.New,
}

// maxTagFile bounds a tag file (manifests of a million files stay below it).
const maxTagFile = 512 << 20

// Check checks the bag in dir: RFC 8493's validity (bagit.txt, every payload file
// in every payload manifest and no entry without its file, every checksum,
// Payload-Oxum, the tag manifests), then Gongshi's layer: each record's content
// against its receipt, which must verify against key (nil: the key in the bag,
// said so in the result). An error means the check could not be made (the
// directory is not readable); every finding about the bag is a problem.
func Check(ctx context.Context, dir string, key note.Verifier) (Checked, error) {
	c := Checked{Dir: dir}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return c, fmt.Errorf("transfer: check: %w", err)
	}
	defer root.Close()
	read := func(name string) ([]byte, error) {
		f, err := safefile.OpenIn(root, name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTagFile+1))
		if err == nil && len(b) > maxTagFile {
			err = fmt.Errorf("larger than %d bytes", maxTagFile)
		}
		return b, err
	}
	// bagit.txt (§2.1.1).
	decl, err := read(bagitTxt)
	if err != nil {
		c.problem("bagit.txt: %v", err)
		return c, nil
	}
	c.Version = checkDeclaration(&c, decl)
	// The manifests (§2.1.3, §2.2.1).
	top, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return c, fmt.Errorf("transfer: check: %w", err)
	}
	payload := map[string]map[string]string{} // algorithm → path → hex
	tags := map[string]map[string]string{}
	for _, e := range top {
		name := e.Name()
		alg, isPayload := strings.CutPrefix(name, "manifest-")
		talg, isTag := strings.CutPrefix(name, "tagmanifest-")
		if !isPayload && !isTag || !strings.HasSuffix(name, ".txt") {
			continue
		}
		if isTag {
			alg = talg
		}
		alg = strings.TrimSuffix(alg, ".txt")
		if hashes[alg] == nil {
			c.problem("%s: algorithm %q: this checker cannot compute it", name, alg)
			continue
		}
		b, err := read(name)
		if err != nil {
			c.problem("%s: %v", name, err)
			continue
		}
		m := parseManifest(&c, name, b, isPayload)
		if isPayload {
			payload[alg] = m
		} else {
			tags[alg] = m
		}
	}
	if len(payload) == 0 {
		c.problem("no payload manifest (manifest-<algorithm>.txt): a bag needs one")
	}
	for alg := range payload {
		c.Algorithms = append(c.Algorithms, alg)
	}
	sort.Strings(c.Algorithms)
	// The payload: every file under data/, read once through every algorithm.
	sums := map[string]map[string]string{}
	var contentSums = map[string]archive.Digests{}
	err = fs.WalkDir(root.FS(), "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.problem("%s: %v", p, err)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			c.problem("%s: a %s, not a regular file", p, safefile.Kind(d.Type()))
			return nil
		}
		got, dg, err := digestFile(root, p, c.Algorithms)
		if err != nil {
			c.problem("%s: %v", p, err)
			return nil
		}
		c.Files++
		c.Bytes += dg.Size
		sums[p] = got
		contentSums[p] = dg
		return nil
	})
	if err != nil {
		return c, err
	}
	if _, err := fs.Stat(root.FS(), "data"); err != nil {
		c.problem("data/: %v (a bag's payload directory)", err)
	}
	for _, alg := range c.Algorithms {
		compare(&c, "manifest-"+alg+".txt", alg, payload[alg], sums, true)
	}
	// Tag manifests: each listed tag file exists and matches.
	for alg, m := range tags {
		tagSums := map[string]map[string]string{}
		for p := range m {
			got, _, err := digestFile(root, p, []string{alg})
			if err != nil {
				c.problem("tagmanifest-%s.txt: %s: %v", alg, p, err)
				continue
			}
			tagSums[p] = got
		}
		compare(&c, "tagmanifest-"+alg+".txt", alg, m, tagSums, false)
	}
	// bag-info.txt (§2.2.2): Payload-Oxum.
	var info map[string][]string
	if b, err := read(bagInfoTxt); err == nil {
		info = parseBagInfo(&c, b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		c.problem("bag-info.txt: %v", err)
	}
	if ox := first(info, "Payload-Oxum"); ox != "" {
		n, files, ok := strings.Cut(ox, ".")
		wantBytes, err1 := strconv.ParseInt(n, 10, 64)
		wantFiles, err2 := strconv.ParseInt(files, 10, 64)
		switch {
		case !ok || err1 != nil || err2 != nil:
			c.problem("bag-info.txt: Payload-Oxum %q is not <octets>.<files>", ox)
		case wantBytes != c.Bytes || wantFiles != c.Files:
			c.problem("Payload-Oxum says %d bytes in %d files; the payload has %d bytes in %d files", wantBytes, wantFiles, c.Bytes, c.Files)
		}
	}
	c.Project = first(info, "Gongshi-Project-Code")
	c.Records, _ = strconv.Atoi(first(info, "Gongshi-Records"))
	checkGongshi(ctx, &c, root, read, key, info, contentSums)
	c.Valid = len(c.Problems) == 0
	return c, nil
}

// checkDeclaration checks bagit.txt and returns its version.
func checkDeclaration(c *Checked, b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	lines := strings.Split(strings.TrimRight(string(b), "\r\n"), "\n")
	if len(lines) != 2 {
		c.problem("bagit.txt: %d lines, want 2 (BagIt-Version, Tag-File-Character-Encoding)", len(lines))
		return ""
	}
	v, ok := strings.CutPrefix(strings.TrimRight(lines[0], "\r"), "BagIt-Version: ")
	if !ok || v != "1.0" && v != "0.97" {
		c.problem("bagit.txt: %q, want BagIt-Version: 1.0", lines[0])
	}
	if enc := strings.TrimRight(lines[1], "\r"); !strings.EqualFold(enc, "Tag-File-Character-Encoding: UTF-8") {
		c.problem("bagit.txt: %q: this checker reads UTF-8 tag files only", enc)
	}
	return v
}

// parseManifest reads the lines "<checksum> <path>" of a manifest.
func parseManifest(c *Checked, name string, b []byte, payload bool) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		sum, p, ok := strings.Cut(line, " ")
		p = decodePath(strings.TrimLeft(p, " \t"))
		clean := path.Clean(p)
		switch {
		case !ok || p == "":
			c.problem("%s line %d: not \"<checksum> <path>\"", name, n)
		case clean != p || strings.HasPrefix(p, "/") || clean == ".." || strings.HasPrefix(clean, "../"):
			c.problem("%s line %d: path %q is not a clean path inside the bag", name, n, p)
		case payload && !strings.HasPrefix(p, "data/"):
			c.problem("%s line %d: %q is not under data/", name, n, p)
		case !payload && strings.HasPrefix(p, "data/"):
			c.problem("%s line %d: %q is a payload file in a tag manifest", name, n, p)
		case m[p] != "":
			c.problem("%s: %q listed twice", name, p)
		default:
			m[p] = strings.ToLower(sum)
		}
	}
	if err := sc.Err(); err != nil {
		c.problem("%s: %v", name, err)
	}
	return m
}

// compare checks manifest m of alg against the sums found.
func compare(c *Checked, name, alg string, m map[string]string, found map[string]map[string]string, payload bool) {
	var missing, wrong, unlisted []string
	for p, want := range m {
		got, ok := found[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case got[alg] != want:
			wrong = append(wrong, p)
		}
	}
	if payload {
		for p := range found {
			if _, ok := m[p]; !ok {
				unlisted = append(unlisted, p)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(wrong)
	sort.Strings(unlisted)
	for _, p := range missing {
		c.problem("%s lists %s, which is not in the bag", name, p)
	}
	for _, p := range wrong {
		c.problem("%s: %s does not have the %s checksum the manifest lists (altered)", name, p, alg)
	}
	for _, p := range unlisted {
		c.problem("%s does not list %s (a payload file every payload manifest must list)", name, p)
	}
}

// digestFile reads the regular file p under root once through each algorithm,
// and SHA-256 with SM3 (as archive.Digests).
func digestFile(root *os.Root, p string, algs []string) (map[string]string, archive.Digests, error) {
	f, err := safefile.OpenIn(root, p)
	if err != nil {
		return nil, archive.Digests{}, err
	}
	defer f.Close()
	hs := map[string]hash.Hash{}
	ws := []io.Writer{}
	for _, alg := range algs {
		if alg == "sha256" || alg == "sm3" {
			continue
		}
		h := hashes[alg]()
		hs[alg] = h
		ws = append(ws, h)
	}
	d := archive.NewDigester()
	ws = append(ws, d)
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), f, make([]byte, copyBuffer)); err != nil {
		return nil, archive.Digests{}, err
	}
	sum := d.Sum()
	out := map[string]string{"sha256": sum.SHA256.String(), "sm3": sum.SM3.String()}
	for alg, h := range hs {
		out[alg] = hex.EncodeToString(h.Sum(nil))
	}
	return out, sum, nil
}

// parseBagInfo reads the "Label: value" lines of bag-info.txt (a line that
// begins with white space continues the one before).
func parseBagInfo(c *Checked, b []byte) map[string][]string {
	m := map[string][]string{}
	var last string
	for n, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				c.problem("bag-info.txt line %d: a continuation with nothing before it", n+1)
				continue
			}
			vs := m[last]
			vs[len(vs)-1] += " " + strings.TrimSpace(line)
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok {
			c.problem("bag-info.txt line %d: not \"Label: value\"", n+1)
			continue
		}
		last = strings.TrimSpace(label)
		m[last] = append(m[last], strings.TrimSpace(value))
	}
	return m
}

func first(m map[string][]string, label string) string {
	if vs := m[label]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// checkGongshi checks what Gongshi adds to a bag: each record's receipt proves
// its content against the ledger key, and the transfer check is there.
func checkGongshi(ctx context.Context, c *Checked, root *os.Root, read func(string) ([]byte, error), key note.Verifier,
	info map[string][]string, sums map[string]archive.Digests) {
	if b, err := read(checkJSON); err == nil {
		var chk struct {
			Verdict string `json:"verdict"`
		}
		if json.Unmarshal(b, &chk) != nil {
			c.problem("%s: not JSON", checkJSON)
		}
		c.TransferCheck = chk.Verdict
	}
	if key == nil {
		text := first(info, "Gongshi-Ledger-Key")
		if b, err := read(keyPath); err == nil {
			text = strings.TrimSpace(string(b))
		}
		if text == "" {
			return // not a bag of Gongshi's: RFC 8493 alone
		}
		k, err := note.NewVerifier(text)
		if err != nil {
			c.problem("%s: %v", keyPath, err)
			return
		}
		key, c.KeyFromBag = k, true
	}
	records, err := fs.ReadDir(root.FS(), "data/records")
	if err != nil {
		return
	}
	for _, e := range records {
		if ctx.Err() != nil {
			return
		}
		id := e.Name()
		rb, err := read(receiptPath(id))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a disposed record, or one without content
		}
		if err != nil {
			c.problem("%s: %v", receiptPath(id), err)
			continue
		}
		r, err := proof.ParseReceipt(rb)
		if err != nil {
			c.problem("%s: %v", receiptPath(id), err)
			continue
		}
		var content string
		for p := range sums {
			if strings.HasPrefix(p, "data/records/"+id+"/content.") {
				content = p
			}
		}
		if content == "" {
			c.problem("record %s: a receipt but no content file", id)
			continue
		}
		res, err := verify.Offline(r, key, sums[content])
		if err != nil {
			c.problem("record %s: %v", id, err)
			continue
		}
		if !res.Verified {
			why := "does not verify"
			if len(res.Reasons) > 0 {
				why = res.Reasons[0].String()
			}
			c.problem("record %s: the receipt does not prove its content: %s", id, why)
			continue
		}
		c.Receipts++
	}
}
