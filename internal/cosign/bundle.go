package cosign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sigstore bundle that `cosign sign` v3 writes by default (--new-bundle-format):
// a DSSE envelope of an in-toto statement whose subject is the image digest, attached to
// the image as an OCI 1.1 referrer (cosign's signDigestBundle and
// WriteAttestationNewBundleFormat).
const (
	MediaTypeBundle         = "application/vnd.dev.sigstore.bundle.v0.3+json"
	PayloadTypeInToto       = "application/vnd.in-toto+json"
	StatementTypeV1         = "https://in-toto.io/Statement/v1"
	PredicateTypeCosignSign = "https://sigstore.dev/cosign/sign/v1"

	AnnotationBundleContent       = "dev.sigstore.bundle.content"
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
	AnnotationCreated             = "org.opencontainers.image.created"
)

// maxBundle bounds a bundle read from a registry.
const maxBundle = 1 << 20

// emptyConfig is the OCI empty descriptor's content.
var emptyConfig = []byte("{}")

// Statement is what a cosign v3 signature bundle says: the image digest, and the
// subject's annotations (cosign sign -a; trustctl's provenance). Unlike the legacy
// payload it names no docker-reference, so it cannot bind a tag.
type Statement struct {
	Digest      string
	Annotations map[string]string
}

type wireStatement struct {
	Type          string        `json:"_type"`
	Subject       []wireSubject `json:"subject"`
	PredicateType string        `json:"predicateType"`
	Predicate     any           `json:"predicate"`
}

// wireSubject is an in-toto resource descriptor; cosign writes "annotations" even when
// empty.
type wireSubject struct {
	Digest      map[string]string `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

// wireBundle is the part of a sigstore bundle that a key-based signature without
// transparency log or timestamps uses: cosign writes nothing else.
type wireBundle struct {
	MediaType            string        `json:"mediaType"`
	VerificationMaterial wireMaterial  `json:"verificationMaterial"`
	DSSEEnvelope         *wireEnvelope `json:"dsseEnvelope,omitempty"`
}

type wireMaterial struct {
	PublicKey *struct {
		Hint string `json:"hint"`
	} `json:"publicKey,omitempty"`
}

type wireEnvelope struct {
	Payload     string          `json:"payload"`
	PayloadType string          `json:"payloadType"`
	Signatures  []wireSignature `json:"signatures"`
}

type wireSignature struct {
	Sig   string `json:"sig"`
	KeyID string `json:"keyid,omitempty"`
}

// pae is DSSE's pre-authentication encoding, what a DSSE signature covers.
func pae(payloadType string, payload []byte) []byte {
	return []byte("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " " + string(payload))
}

// keyHint is the bundle's publicKey.hint for a key: base64 of the SHA-256 of its PKIX
// encoding (cosign's MakeNewBundle). Verifiers use it only to pick a key.
func keyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// NewBundle signs st with key into a sigstore bundle v0.3 as cosign v3.1 writes it with
// --key and no transparency log (testdata/cosign3-bundle): the public key's hint, no
// log entries, and a DSSE envelope of an in-toto v1 statement with cosign's sign
// predicate. cosign encodes with protojson, whose spacing is deliberately unstable, so
// equal bytes are neither possible nor needed: verifiers parse the JSON.
func NewBundle(key crypto.Signer, st Statement) ([]byte, error) {
	if !digestPattern.MatchString(st.Digest) {
		return nil, fmt.Errorf("image digest %q is not sha256:<64 hex>", st.Digest)
	}
	if err := checkKey(key.Public()); err != nil {
		return nil, err
	}
	annotations := st.Annotations
	if annotations == nil {
		annotations = map[string]string{}
	}
	statement, err := json.Marshal(wireStatement{
		Type:          StatementTypeV1,
		Subject:       []wireSubject{{Digest: map[string]string{"sha256": strings.TrimPrefix(st.Digest, "sha256:")}, Annotations: annotations}},
		PredicateType: PredicateTypeCosignSign,
		Predicate:     struct{}{},
	})
	if err != nil {
		return nil, err
	}
	sig, err := Sign(key, pae(PayloadTypeInToto, statement))
	if err != nil {
		return nil, err
	}
	hint, err := keyHint(key.Public())
	if err != nil {
		return nil, err
	}
	b := wireBundle{
		MediaType: MediaTypeBundle,
		DSSEEnvelope: &wireEnvelope{
			Payload:     base64.StdEncoding.EncodeToString(statement),
			PayloadType: PayloadTypeInToto,
			Signatures:  []wireSignature{{Sig: sig}},
		},
	}
	b.VerificationMaterial.PublicKey = &struct {
		Hint string `json:"hint"`
	}{hint}
	return json.Marshal(b)
}

// VerifyBundle checks a bundle read from a registry with pub: a v0.3 bundle holding a
// DSSE envelope whose signature pub verifies, over an in-toto v1 statement with cosign's
// sign predicate and imageDigest among its subjects. cosign verify accepts a bundle of
// any predicate type whose subject matches; a signature source should not count an
// SBOM or provenance attestation as a signature, so other predicates are refused here.
func VerifyBundle(b []byte, pub crypto.PublicKey, imageDigest string) (Statement, error) {
	if len(b) > maxBundle {
		return Statement{}, fmt.Errorf("bundle of %d bytes, at most %d", len(b), maxBundle)
	}
	if err := noDuplicateKeys(b, 0); err != nil {
		return Statement{}, fmt.Errorf("bundle: %w", err)
	}
	var wb wireBundle
	if err := json.Unmarshal(b, &wb); err != nil {
		return Statement{}, fmt.Errorf("bundle: %w", err)
	}
	if wb.MediaType != MediaTypeBundle {
		return Statement{}, fmt.Errorf("bundle mediaType %q, want %q", wb.MediaType, MediaTypeBundle)
	}
	env := wb.DSSEEnvelope
	if env == nil {
		return Statement{}, errors.New("bundle holds no DSSE envelope (a message signature is not an image signature of cosign sign)")
	}
	if env.PayloadType != PayloadTypeInToto {
		return Statement{}, fmt.Errorf("DSSE payloadType %q, want %q", env.PayloadType, PayloadTypeInToto)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return Statement{}, fmt.Errorf("DSSE payload is not base64: %w", err)
	}
	// sigstore-go verifies a DSSE envelope with exactly one signature.
	if len(env.Signatures) != 1 {
		return Statement{}, fmt.Errorf("DSSE envelope has %d signatures, want 1", len(env.Signatures))
	}
	if err := Verify(pub, pae(env.PayloadType, payload), env.Signatures[0].Sig); err != nil {
		return Statement{}, err
	}
	if err := noDuplicateKeys(payload, 0); err != nil {
		return Statement{}, fmt.Errorf("in-toto statement: %w", err)
	}
	var ws struct {
		Type    string `json:"_type"`
		Subject []struct {
			Digest      map[string]string          `json:"digest"`
			Annotations map[string]json.RawMessage `json:"annotations"`
		} `json:"subject"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &ws); err != nil {
		return Statement{}, fmt.Errorf("in-toto statement: %w", err)
	}
	if ws.Type != StatementTypeV1 {
		return Statement{}, fmt.Errorf("in-toto statement _type %q, want %q", ws.Type, StatementTypeV1)
	}
	if ws.PredicateType != PredicateTypeCosignSign {
		return Statement{}, fmt.Errorf("predicateType %q is not a cosign signature (%s)", ws.PredicateType, PredicateTypeCosignSign)
	}
	for _, s := range ws.Subject {
		if "sha256:"+s.Digest["sha256"] != imageDigest {
			continue
		}
		st := Statement{Digest: imageDigest}
		if len(s.Annotations) > 0 {
			st.Annotations = make(map[string]string, len(s.Annotations))
			for k, v := range s.Annotations {
				st.Annotations[k] = jsonText(v)
			}
		}
		return st, nil
	}
	return Statement{}, fmt.Errorf("%w: no subject of the statement is %s", ErrDigestMismatch, imageDigest)
}

// BundleReferrer is the OCI 1.1 referrer manifest cosign v3 pushes for a bundle: the
// empty config, the bundle as its one layer, the image as its subject, and cosign's
// annotations, with created (the time of signing) in RFC 3339 UTC.
func BundleReferrer(bundle []byte, subject Descriptor, created time.Time) (Artifact, error) {
	if err := checkDescriptor("subject", subject); err != nil {
		return Artifact{}, err
	}
	config := descriptorOf(MediaTypeOCIEmpty, emptyConfig)
	// cosign sets artifactType on the config descriptor too (its WriteReferrer).
	config.ArtifactType = MediaTypeBundle
	layer := descriptorOf(MediaTypeBundle, bundle)
	sub := Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}
	m := Manifest{
		SchemaVersion: 2,
		MediaType:     MediaTypeOCIManifest,
		ArtifactType:  MediaTypeBundle,
		Config:        config,
		Layers:        []Descriptor{layer},
		Subject:       &sub,
		Annotations: map[string]string{
			AnnotationCreated:             created.UTC().Format(time.RFC3339),
			AnnotationBundleContent:       "dsse-envelope",
			AnnotationBundlePredicateType: PredicateTypeCosignSign,
		},
	}
	a, err := encodeManifest(m)
	if err != nil {
		return Artifact{}, err
	}
	a.Descriptor.ArtifactType = MediaTypeBundle
	a.Blobs = []Blob{{Descriptor: config, Data: emptyConfig}, {Descriptor: layer, Data: bundle}}
	return a, nil
}

// BundleLayer returns the descriptor of the bundle layer of a referrer manifest, or
// false when the manifest is not a sigstore bundle referrer (a registry's referrers list
// holds other artifacts too).
func BundleLayer(manifest []byte) (Descriptor, bool, error) {
	m, err := ParseManifest(manifest)
	if err != nil {
		return Descriptor{}, false, err
	}
	if m.ArtifactType != MediaTypeBundle && m.Config.MediaType != MediaTypeBundle {
		return Descriptor{}, false, nil
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeBundle {
		return Descriptor{}, false, fmt.Errorf("bundle referrer has %d layers, want one %s", len(m.Layers), MediaTypeBundle)
	}
	if m.Layers[0].Size > maxBundle {
		return Descriptor{}, false, fmt.Errorf("bundle layer of %d bytes, at most %d", m.Layers[0].Size, maxBundle)
	}
	return m.Layers[0], true, nil
}

// HasBundle reports whether one of bundles (the contents of an image's bundle
// referrers) is already a signature by pub over imageDigest: then a migration adds none.
func HasBundle(bundles [][]byte, pub crypto.PublicKey, imageDigest string) bool {
	for _, b := range bundles {
		if _, err := VerifyBundle(b, pub, imageDigest); err == nil {
			return true
		}
	}
	return false
}

// MediaTypeOCIIndex is the referrers fallback index's media type.
const MediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json"

// Index is an OCI image index; a registry without the referrers API keeps an image's
// referrers in one under the tag sha256-<hex> (OCI distribution 1.1, "referrers tag
// schema"), which is where cosign v3 puts its bundles on such a registry.
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []Descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// ReferrersTag is the fallback tag of the referrers of digest: sha256-<hex>.
func ReferrersTag(digest string) (string, error) {
	tag, err := SignatureTag(digest)
	return strings.TrimSuffix(tag, ".sig"), err
}

// ParseIndex reads an image index from a registry (bounded like a manifest).
func ParseIndex(b []byte) (Index, error) {
	if len(b) > maxManifest {
		return Index{}, fmt.Errorf("index of %d bytes, at most %d", len(b), maxManifest)
	}
	if err := noDuplicateKeys(b, 0); err != nil {
		return Index{}, fmt.Errorf("index: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return Index{}, fmt.Errorf("index: %w", err)
	}
	if idx.SchemaVersion != 2 || idx.MediaType != MediaTypeOCIIndex {
		return Index{}, fmt.Errorf("index schemaVersion %d mediaType %q, want 2 and %q", idx.SchemaVersion, idx.MediaType, MediaTypeOCIIndex)
	}
	if len(idx.Manifests) > maxLayers {
		return Index{}, fmt.Errorf("index has %d manifests, at most %d", len(idx.Manifests), maxLayers)
	}
	for i, d := range idx.Manifests {
		if err := checkDescriptor(fmt.Sprintf("index manifest %d", i), d); err != nil {
			return Index{}, err
		}
	}
	return idx, nil
}

// WithReferrer returns the fallback index (existing, nil when the tag does not exist
// yet) with the referrer manifest described by d added, and false when it is listed
// already. d carries the referrer's artifactType, as the referrers API would list it.
func WithReferrer(existing []byte, d Descriptor) ([]byte, bool, error) {
	idx := Index{SchemaVersion: 2, MediaType: MediaTypeOCIIndex, Manifests: []Descriptor{}}
	if existing != nil {
		var err error
		if idx, err = ParseIndex(existing); err != nil {
			return nil, false, err
		}
	}
	for _, m := range idx.Manifests {
		if m.Digest == d.Digest {
			return existing, false, nil
		}
	}
	idx.Manifests = append(idx.Manifests, d)
	b, err := json.Marshal(idx)
	return b, true, err
}
