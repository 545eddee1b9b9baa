package transfer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// The bag's fixed files (RFC 8493 §2.1, §2.2).
const (
	bagitTxt      = "bagit.txt"
	bagInfoTxt    = "bag-info.txt"
	checkJSON     = "transfer-check.json"
	bagitDeclared = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
)

// The algorithms of the manifests: SHA-256 (RFC 8493 §2.4 names SHA-256 and
// SHA-512 as the ones to use) and SM3, China's national hash (GB/T 32905),
// which the archive keeps for every content beside SHA-256.
var algorithms = []string{"sha256", "sm3"}

// ErrExists: the destination of an export exists already.
var ErrExists = errors.New("exists already")

// copyBuffer is the size of the buffer each file is copied through: large enough
// that a copy runs at the disk's speed, small enough never to matter.
const copyBuffer = 1 << 20

// bagWriter writes a bag into a directory beside its destination, and renames it
// into place when whole.
type bagWriter struct {
	dest, tmp string
	// lines of each manifest, by algorithm: payload and tag.
	payload, tags map[string][]string
	oxumBytes     int64
	oxumFiles     int64
	buf           []byte
}

func newBagWriter(dest string) (*bagWriter, error) {
	dest = filepath.Clean(dest)
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("%s: %w (an export never replaces anything; give a new directory)", dest, ErrExists)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var r [6]byte
	rand.Read(r[:])
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-"+hex.EncodeToString(r[:]))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, err
	}
	return &bagWriter{dest: dest, tmp: tmp, payload: map[string][]string{}, tags: map[string][]string{},
		buf: make([]byte, copyBuffer)}, nil
}

// abort removes what was written.
func (b *bagWriter) abort() { os.RemoveAll(b.tmp) }

// write stores the file rel (a slash path inside the bag) with the bytes of r,
// durably, and returns their digests. payload says whether it is under data/.
func (b *bagWriter) write(rel string, r io.Reader) (archive.Digests, error) {
	p := filepath.Join(b.tmp, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return archive.Digests{}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return archive.Digests{}, err
	}
	d := archive.NewDigester()
	_, err = io.CopyBuffer(io.MultiWriter(f, d), r, b.buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return archive.Digests{}, fmt.Errorf("%s: %w", rel, err)
	}
	sum := d.Sum()
	lines := b.tags
	if strings.HasPrefix(rel, "data/") {
		lines = b.payload
		b.oxumBytes += sum.Size
		b.oxumFiles++
	}
	lines["sha256"] = append(lines["sha256"], sum.SHA256.String()+"  "+encodePath(rel))
	lines["sm3"] = append(lines["sm3"], sum.SM3.String()+"  "+encodePath(rel))
	return sum, nil
}

func (b *bagWriter) writeBytes(rel string, data []byte) (archive.Digests, error) {
	return b.write(rel, bytes.NewReader(data))
}

// finish writes the payload manifests, the tag manifests (over every other tag
// file), syncs the directories and renames the bag into place.
func (b *bagWriter) finish() error {
	for _, alg := range algorithms {
		if _, err := b.writeBytes("manifest-"+alg+".txt", manifest(b.payload[alg])); err != nil {
			return err
		}
	}
	tags := map[string][]byte{}
	for _, alg := range algorithms {
		tags[alg] = manifest(b.tags[alg])
	}
	for _, alg := range algorithms {
		// The tag manifests are not in each other (RFC 8493 §2.2.1: a tag
		// manifest lists tag files other than tag manifests).
		p := filepath.Join(b.tmp, "tagmanifest-"+alg+".txt")
		if err := writeSynced(p, tags[alg]); err != nil {
			return err
		}
	}
	if err := syncTree(b.tmp); err != nil {
		return err
	}
	if err := os.Rename(b.tmp, b.dest); err != nil {
		return err
	}
	return syncDir(filepath.Dir(b.dest))
}

// manifest is the text of a manifest of lines, sorted by path.
func manifest(lines []string) []byte {
	sorted := append([]string(nil), lines...)
	sort.Slice(sorted, func(i, j int) bool {
		_, pi, _ := strings.Cut(sorted[i], "  ")
		_, pj, _ := strings.Cut(sorted[j], "  ")
		return pi < pj
	})
	var buf bytes.Buffer
	for _, l := range sorted {
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// encodePath is a path as a manifest writes it (RFC 8493 §2.1.3): CR, LF and
// '%' percent-encoded, and only those.
func encodePath(p string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(p)
}

// decodePath undoes encodePath.
func decodePath(p string) string {
	return strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%0d", "\r", "%0a", "\n").Replace(p)
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncTree fsyncs every directory of the tree at root (the files were synced as
// they were written), so that the renamed bag survives a power failure whole.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		return nil
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// bagInfo is the text of bag-info.txt: one "Label: value" line each, values on
// one line (a value's line breaks become spaces), in the order given.
func bagInfo(fields [][2]string) []byte {
	var buf bytes.Buffer
	flat := strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		fmt.Fprintf(&buf, "%s: %s\n", f[0], flat.Replace(f[1]))
	}
	return buf.Bytes()
}

// slash joins path elements of a bag.
func slash(elem ...string) string { return path.Join(elem...) }
