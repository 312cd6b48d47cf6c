// Package cosign holds the formats of Sigstore cosign signatures on container images, as
// cosign v2.6 and v3.1 write and verify them: the simple-signing payload, the signature
// over it, the legacy signature image under the sha256-<hex>.sig tag, and the sigstore
// bundle (DSSE envelope of an in-toto statement) that cosign v3 attaches as an OCI
// referrer. Everything here is a pure function of its inputs: no network, no files.
// Registry reads and writes belong to the registry client; this package builds and
// checks the bytes.
package cosign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// SignatureType is critical.type of every cosign image signature
// (sigstore/sigstore pkg/signature/payload.CosignSignatureType).
const SignatureType = "cosign container image signature"

// MaxPayload bounds a payload read from a registry. cosign's own payloads are a few
// hundred bytes; trustctl's provenance adds about a kilobyte.
const MaxPayload = 256 << 10

// Errors usable with errors.Is.
var (
	ErrPayload           = errors.New("invalid cosign payload")
	ErrDigestMismatch    = errors.New("signed digest differs from the image digest")
	ErrReferenceMismatch = errors.New("signed docker-reference names another image")
	ErrNoTagInReference  = errors.New("signed docker-reference has no tag")
	ErrBadSignature      = errors.New("signature does not verify")
	ErrUnsupportedKey    = errors.New("unsupported key for cosign")
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Payload is cosign's simple-signing payload: what a signature says about an image.
type Payload struct {
	// DockerReference is critical.identity.docker-reference: the name the signer
	// claims for the image. cosign writes the repository without a tag unless
	// --sign-container-identity gives one; trustctl writes <gun>:<tag>.
	DockerReference string
	// Digest is critical.image.docker-manifest-digest, sha256:<hex>.
	Digest string
	// Optional is the "optional" object. cosign's -a annotations are strings; any other
	// JSON value read from a registry is kept as its compact JSON text.
	Optional map[string]string
}

type wirePayload struct {
	Critical wireCritical `json:"critical"`
	Optional any          `json:"optional"`
}

type wireCritical struct {
	Identity struct {
		DockerReference string `json:"docker-reference"`
	} `json:"identity"`
	Image struct {
		DockerManifestDigest string `json:"docker-manifest-digest"`
	} `json:"image"`
	Type string `json:"type"`
}

// Marshal returns the payload's bytes in cosign's field order (critical, then
// optional; null when empty, as cosign writes it). Keys of optional are sorted, so the
// same payload always gives the same bytes.
func (p Payload) Marshal() ([]byte, error) {
	if !digestPattern.MatchString(p.Digest) {
		return nil, fmt.Errorf("%w: digest %q is not sha256:<64 hex>", ErrPayload, p.Digest)
	}
	var w wirePayload
	w.Critical.Identity.DockerReference = p.DockerReference
	w.Critical.Image.DockerManifestDigest = p.Digest
	w.Critical.Type = SignatureType
	if len(p.Optional) > 0 {
		w.Optional = p.Optional
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ParsePayload reads a payload as cosign's verifier does (a JSON object whose
// critical.type is cosign's), and refuses what cosign would not match: a digest that is
// not sha256:<64 lowercase hex>, duplicate keys in critical, or a payload too large.
func ParsePayload(b []byte) (Payload, error) {
	if len(b) > MaxPayload {
		return Payload{}, fmt.Errorf("%w: %d bytes, at most %d", ErrPayload, len(b), MaxPayload)
	}
	// Two readers of the same bytes must not see two different claims: refuse
	// duplicate keys (encoding/json, as cosign uses it, keeps the last and matches keys
	// without regard to case; another verifier may keep the first).
	if err := noDuplicateKeys(b, 0); err != nil {
		return Payload{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	var raw struct {
		Critical json.RawMessage            `json:"critical"`
		Optional map[string]json.RawMessage `json:"optional"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Payload{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	if raw.Critical == nil {
		return Payload{}, fmt.Errorf("%w: no critical section", ErrPayload)
	}
	var c wireCritical
	if err := json.Unmarshal(raw.Critical, &c); err != nil {
		return Payload{}, fmt.Errorf("%w: critical: %v", ErrPayload, err)
	}
	if c.Type != SignatureType {
		return Payload{}, fmt.Errorf("%w: critical.type %q, want %q", ErrPayload, c.Type, SignatureType)
	}
	if !digestPattern.MatchString(c.Image.DockerManifestDigest) {
		return Payload{}, fmt.Errorf("%w: critical.image.docker-manifest-digest %q is not sha256:<64 hex>", ErrPayload, c.Image.DockerManifestDigest)
	}
	p := Payload{DockerReference: c.Identity.DockerReference, Digest: c.Image.DockerManifestDigest}
	if len(raw.Optional) > 0 {
		p.Optional = make(map[string]string, len(raw.Optional))
		for k, v := range raw.Optional {
			p.Optional[k] = jsonText(v)
		}
	}
	return p, nil
}

// jsonText is a JSON string's value, or any other (valid) JSON value's compact text.
func jsonText(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, v); err != nil {
		return string(v)
	}
	return compact.String()
}

// noDuplicateKeys fails when an object in the JSON value b repeats a key. Keys of
// objects decoded into structs are compared as encoding/json matches struct fields,
// without regard to case, so "critical" and "Critical" are one key; keys of the
// map-valued objects (optional, annotations) are compared exactly, as maps keep both.
func noDuplicateKeys(b []byte, depth int) error {
	return checkKeys(b, depth, true)
}

// mapValued names the objects whose keys are map keys, not struct fields.
var mapValued = map[string]bool{"optional": true, "annotations": true, "digest": true}

func checkKeys(b []byte, depth int, fold bool) error {
	if depth > 32 {
		return errors.New("nested more than 32 levels")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if delim == '[' {
		for dec.More() {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if err := checkKeys(v, depth+1, fold); err != nil {
				return err
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		norm := key
		if fold {
			norm = foldCase(key)
		}
		if seen[norm] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[norm] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := checkKeys(v, depth+1, fold && !mapValued[strings.ToLower(foldCase(key))]); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// foldCase maps s to one representative of its Unicode simple case folding, the
// equivalence encoding/json uses to match object keys to struct fields ("K", "k" and
// the Kelvin sign are one).
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
