package ingest

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// TrustRoots are the certificates that signers' certificates must chain to for
// a signature to be "valid". Chains are built and checked by gmsm's smx509, a
// fork of crypto/x509 that also knows SM2 keys and SM2-with-SM3 signatures
// (GB/T 32918, GM/T 0015), which crypto/x509 cannot even parse: Chinese
// government CAs issue them. RSA and ECDSA certificates are checked by the same
// code, and a chain may mix the algorithms (an SM2 signer under an ECDSA
// intermediate, or the reverse). The zero value trusts nobody.
type TrustRoots struct {
	pool *smx509.CertPool
	n    int
}

// NewTrustRoots returns the roots certs. A certificate of any algorithm may be
// given as a *x509.Certificate (an SM2 one converted from smx509's type, which
// has the same layout): only its DER bytes are used.
func NewTrustRoots(certs ...*x509.Certificate) (*TrustRoots, error) {
	t := &TrustRoots{pool: smx509.NewCertPool()}
	for _, c := range certs {
		sc, err := smx509.ParseCertificate(c.Raw)
		if err != nil {
			return nil, fmt.Errorf("ingest: trust root %s: %w", c.Subject, err)
		}
		t.pool.AddCert(sc)
		t.n++
	}
	return t, nil
}

// Len is the number of root certificates.
func (t *TrustRoots) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// LoadTrustRoots reads every certificate in the files of dir (*.pem, *.crt,
// *.cer; PEM, or one DER certificate a file), RSA, ECDSA and SM2 alike, and
// returns them with their count. A file that holds no certificate is an error,
// so that a typo does not silently trust nobody.
func LoadTrustRoots(dir string) (*TrustRoots, int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("ingest: trust roots: %w", err)
	}
	t := &TrustRoots{pool: smx509.NewCertPool()}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".pem" && ext != ".crt" && ext != ".cer") {
			continue
		}
		b, err := safefile.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, 0, fmt.Errorf("ingest: trust roots: %w", err)
		}
		certs, err := parseCerts(b)
		if err != nil || len(certs) == 0 {
			return nil, 0, fmt.Errorf("ingest: trust roots: %s: no PEM or DER certificate (%v)", e.Name(), err)
		}
		for _, c := range certs {
			t.pool.AddCert(c)
			t.n++
		}
	}
	if t.n == 0 {
		return nil, 0, fmt.Errorf("ingest: trust roots: no certificate files (*.pem, *.crt, *.cer) in %s", dir)
	}
	return t, t.n, nil
}

// parseCerts reads PEM certificates, or one DER certificate.
func parseCerts(b []byte) ([]*smx509.Certificate, error) {
	var out []*smx509.Certificate
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := smx509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		c, err := smx509.ParseCertificate(b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// errNoRoots: no trust roots are configured, so no chain can be trusted.
var errNoRoots = errors.New("no trust roots are configured (--trust-roots)")

// verifyChain checks that leaf chains, through the certificates inter that
// the signature carries, to one of the roots, at the time at: every
// certificate of the chain valid then, each signed by the next. Key usages are
// not restricted (document-signing certificates carry many different ones).
func (t *TrustRoots) verifyChain(leaf *smx509.Certificate, inter []*smx509.Certificate, at time.Time) error {
	if t.Len() == 0 {
		return errNoRoots
	}
	pool := smx509.NewCertPool()
	for _, c := range inter {
		pool.AddCert(c)
	}
	_, err := leaf.Verify(smx509.VerifyOptions{Roots: t.pool, Intermediates: pool, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}
