package transfer_test

// An RFC 8493 validator written from the RFC for the tests, sharing nothing with
// the exporter or with transfer.Check: its own parsing, its own hashing (the
// standard library's SHA-256, gmsm's SM3, each called directly), its own walk.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
)

var rfcHashes = map[string]func() hash.Hash{"sha256": sha256.New, "sm3": sm3.New}

// manifestLine is RFC 8493 §2.1.3: checksum, one or more linear white space,
// filepath (relative, '/' separated).
var manifestLine = regexp.MustCompile(`^([0-9a-fA-F]+)[ \t]+(\S.*)$`)

// rfc8493Problems returns every way the bag at dir is not complete and valid
// (RFC 8493 §3), or nil.
func rfc8493Problems(dir string) []string {
	var out []string
	bad := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }

	// §2.1.1: bagit.txt, exactly these two lines.
	decl, err := os.ReadFile(filepath.Join(dir, "bagit.txt"))
	if err != nil {
		return []string{"no bagit.txt: " + err.Error()}
	}
	if string(decl) != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" {
		bad("bagit.txt is %q", decl)
	}
	// §2.1.2: the payload directory.
	if fi, err := os.Stat(filepath.Join(dir, "data")); err != nil || !fi.IsDir() {
		bad("no data/ directory")
	}
	// The payload files, found by walking.
	payload := map[string]bool{}
	var octets, streams int64
	filepath.Walk(filepath.Join(dir, "data"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		payload[filepath.ToSlash(rel)] = true
		octets += fi.Size()
		streams++
		return nil
	})
	readManifest := func(name string) map[string]string {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			bad("%s: %v", name, err)
			return nil
		}
		defer f.Close()
		m := map[string]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			g := manifestLine.FindStringSubmatch(sc.Text())
			if g == nil {
				bad("%s: line %q", name, sc.Text())
				continue
			}
			p := strings.NewReplacer("%0A", "\n", "%0D", "\r", "%25", "%").Replace(g[2])
			m[p] = strings.ToLower(g[1])
		}
		return m
	}
	sum := func(alg, rel string) string {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "missing"
		}
		defer f.Close()
		h := rfcHashes[alg]()
		io.Copy(h, f)
		return hex.EncodeToString(h.Sum(nil))
	}
	entries, _ := os.ReadDir(dir)
	var payloadManifests, tagManifests []string
	for _, e := range entries {
		switch n := e.Name(); {
		case strings.HasPrefix(n, "manifest-") && strings.HasSuffix(n, ".txt"):
			payloadManifests = append(payloadManifests, n)
		case strings.HasPrefix(n, "tagmanifest-") && strings.HasSuffix(n, ".txt"):
			tagManifests = append(tagManifests, n)
		}
	}
	// §2.1.3: at least one payload manifest; §3: every payload file in every
	// payload manifest, every entry a file, every checksum right.
	if len(payloadManifests) == 0 {
		bad("no payload manifest")
	}
	for _, name := range payloadManifests {
		alg := strings.TrimSuffix(strings.TrimPrefix(name, "manifest-"), ".txt")
		if rfcHashes[alg] == nil {
			bad("%s: unknown algorithm", name)
			continue
		}
		m := readManifest(name)
		for p := range payload {
			if _, ok := m[p]; !ok {
				bad("%s does not list payload file %s", name, p)
			}
		}
		for p, want := range m {
			if !strings.HasPrefix(p, "data/") {
				bad("%s lists %s outside data/", name, p)
			}
			if got := sum(alg, p); got != want {
				bad("%s: %s has %s %s, the manifest says %s", name, p, alg, got, want)
			}
		}
	}
	// §2.2.1: tag manifests: every entry a tag file with the right checksum.
	for _, name := range tagManifests {
		alg := strings.TrimSuffix(strings.TrimPrefix(name, "tagmanifest-"), ".txt")
		m := readManifest(name)
		for p, want := range m {
			if strings.HasPrefix(p, "data/") {
				bad("%s lists payload file %s", name, p)
			}
			if got := sum(alg, p); got != want {
				bad("%s: %s has %s %s, the manifest says %s", name, p, alg, got, want)
			}
		}
		for _, must := range append([]string{"bagit.txt", "bag-info.txt"}, payloadManifests...) {
			if _, ok := m[must]; !ok {
				bad("%s does not list %s", name, must)
			}
		}
	}
	// §2.2.2: bag-info.txt, Payload-Oxum = octets.streams.
	info, err := os.ReadFile(filepath.Join(dir, "bag-info.txt"))
	if err == nil {
		oxum := regexp.MustCompile(`(?m)^Payload-Oxum: (\d+)\.(\d+)$`).FindStringSubmatch(string(info))
		if oxum == nil {
			bad("bag-info.txt has no Payload-Oxum")
		} else if o, _ := strconv.ParseInt(oxum[1], 10, 64); o != octets {
			bad("Payload-Oxum octets %s, payload %d", oxum[1], octets)
		} else if s, _ := strconv.ParseInt(oxum[2], 10, 64); s != streams {
			bad("Payload-Oxum streams %s, payload %d", oxum[2], streams)
		}
		for i, line := range strings.Split(strings.TrimSuffix(string(info), "\n"), "\n") {
			if !regexp.MustCompile(`^[^:\s][^:]*: .*$|^[ \t]`).MatchString(line) {
				bad("bag-info.txt line %d: %q", i+1, line)
			}
		}
	}
	sort.Strings(out)
	return out
}
