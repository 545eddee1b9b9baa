package archive

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
)

// Record ids.
//
// A record's id is derived from what identifies the filing, so that a re-run of an
// interrupted ingest finds the record the first run made instead of filing a duplicate
// (docs/architecture.md, "Durability": a re-run must find what an earlier run made):
//
//	meta = SHA-256( JSON of recordIdentity, compact, no HTML escaping, "\n" at the end )
//	id   = base32-lower-nopad( SHA-256( "gongshi/record-id/v1\n" + project + "\n" +
//	                                    hex(content SHA-256) + "\n" + hex(meta) )[:16] )
//
// recordIdentity holds the metadata the filer supplies, with the type's defaults
// applied: everything but the id, version, filing time, signature report (ingest's
// finding, not the filer's claim) and correction note. The same bytes with the same
// metadata give the same id; any change of metadata gives a new record, and a change
// meant as a correction must go through CorrectRecord. 128 bits keep collisions out of
// reach for any archive's lifetime; lower-case base32 (26 characters of a-z, 2-7) is a
// valid key segment on every backend, case-insensitive file systems included, and
// cannot be confused with an upper-case project code.

const recordIDLen = 26

type recordIdentity struct {
	Project      string        `json:"project"`
	Type         string        `json:"type"`
	Title        string        `json:"title"`
	DocNumber    string        `json:"doc_number"`
	Issuer       string        `json:"issuer"`
	Abstract     string        `json:"abstract,omitempty"` // omitted when empty: ids of records filed before it existed stay the same
	Keywords     []string      `json:"keywords,omitempty"`
	Date         Date          `json:"date"`
	Disclosure   Disclosure    `json:"disclosure"`
	Retention    RetentionCode `json:"retention"`
	ArchivalCode string        `json:"archival_code"`
	Pages        int           `json:"pages"`
	Format       string        `json:"format"`
	FileName     string        `json:"file_name"`
	Household    string        `json:"household"`
	PublicCopyOf string        `json:"public_copy_of,omitempty"` // omitted when empty, as Abstract
	Content      Digests       `json:"content"`
}

// MetadataDigest returns the SHA-256 of the record's identifying metadata (see the
// package notes on record ids). Apply the catalogue's defaults first.
func MetadataDigest(r Record) (Hash, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as in the canonical form: CJK and '<' as themselves
	err := enc.Encode(recordIdentity{
		Project: r.Project, Type: r.Type, Title: r.Title, DocNumber: r.DocNumber,
		Issuer: r.Issuer, Abstract: r.Abstract, Keywords: nilIfEmpty(r.Keywords), Date: r.Date, Disclosure: r.Disclosure, Retention: r.Retention,
		ArchivalCode: r.ArchivalCode, Pages: r.Pages, Format: r.Format,
		FileName: r.FileName, Household: r.Household, PublicCopyOf: r.PublicCopyOf, Content: r.Content,
	})
	if err != nil {
		return Hash{}, fmt.Errorf("archive: metadata digest: %w", err)
	}
	return sha256.Sum256(buf.Bytes()), nil
}

// RecordID returns the id a record gets when it is filed: a function of its project,
// content SHA-256 and metadata digest. Apply the catalogue's defaults first
// (Catalogue.ApplyDefaults); CreateRecord does.
func RecordID(r Record) (string, error) {
	meta, err := MetadataDigest(r)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte("gongshi/record-id/v1\n" + r.Project + "\n" +
		r.Content.SHA256.String() + "\n" + meta.String()))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(h[:16])), nil
}

// ValidRecordID reports whether s has the form of a record id.
func ValidRecordID(s string) bool {
	if len(s) != recordIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
