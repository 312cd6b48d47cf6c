package cosign

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// Layer media type and annotation of a legacy cosign signature (cosign's
// types.SimpleSigningMediaType and static.SignatureAnnotationKey).
const (
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	AnnotationSignature    = "dev.cosignproject.cosign/signature"
)

// Signature is one layer of a legacy signature image: the payload is the layer's
// content, the base64 signature is its dev.cosignproject.cosign/signature annotation.
type Signature struct {
	MediaType string
	Payload   []byte
	// Annotations of the layer, the signature among them. Annotations cosign adds
	// (certificate, chain, Rekor bundle) are kept as they were read.
	Annotations map[string]string
}

// NewSignature signs p with key into a signature layer.
func NewSignature(key crypto.Signer, p Payload) (Signature, error) {
	payload, err := p.Marshal()
	if err != nil {
		return Signature{}, err
	}
	sig, err := Sign(key, payload)
	if err != nil {
		return Signature{}, err
	}
	return Signature{
		MediaType:   MediaTypeSimpleSigning,
		Payload:     payload,
		Annotations: map[string]string{AnnotationSignature: sig},
	}, nil
}

// Verify checks the signature with pub and that it signs imageDigest, and returns the
// payload. A signature over another digest fails with ErrDigestMismatch, as cosign's
// claim check does; the docker-reference is returned for the caller to check
// (Payload.CheckReference), since cosign verify does not check it.
func (s Signature) Verify(pub crypto.PublicKey, imageDigest string) (Payload, error) {
	if s.MediaType != MediaTypeSimpleSigning {
		return Payload{}, fmt.Errorf("layer media type %q is not a cosign simple-signing payload", s.MediaType)
	}
	b64, ok := s.Annotations[AnnotationSignature]
	if !ok {
		return Payload{}, fmt.Errorf("%w: layer has no %s annotation", ErrBadSignature, AnnotationSignature)
	}
	if err := Verify(pub, s.Payload, b64); err != nil {
		return Payload{}, err
	}
	p, err := ParsePayload(s.Payload)
	if err != nil {
		return Payload{}, err
	}
	if p.Digest != imageDigest {
		return Payload{}, fmt.Errorf("%w: signed %s, image is %s", ErrDigestMismatch, p.Digest, imageDigest)
	}
	return p, nil
}

// SignatureImage is the legacy signature image of one image digest (the manifest under
// the sha256-<hex>.sig tag): its signature layers, in order.
type SignatureImage struct {
	Signatures []Signature
}

// Add returns the image with sig appended, or the image unchanged and false when it
// already holds an equivalent signature: one that pub verifies and whose payload makes
// the same claim (docker-reference, digest and type). Optional fields are provenance
// and may differ between runs (the time of migration), so a second run adds nothing.
// sig itself must verify with pub.
func (img SignatureImage) Add(sig Signature, pub crypto.PublicKey) (SignatureImage, bool, error) {
	want, err := ParsePayload(sig.Payload)
	if err != nil {
		return img, false, err
	}
	if _, err := sig.Verify(pub, want.Digest); err != nil {
		return img, false, fmt.Errorf("new signature: %w", err)
	}
	for _, have := range img.Signatures {
		p, err := have.Verify(pub, want.Digest)
		if err == nil && p.DockerReference == want.DockerReference {
			return img, false, nil
		}
	}
	out := SignatureImage{Signatures: append(img.Signatures[:len(img.Signatures):len(img.Signatures)], sig)}
	return out, true, nil
}

// Verified returns the payloads of the signatures that pub verifies over imageDigest,
// in layer order. When none does, the error says why the first signature failed.
func (img SignatureImage) Verified(pub crypto.PublicKey, imageDigest string) ([]Payload, error) {
	var out []Payload
	var first error
	for i, s := range img.Signatures {
		p, err := s.Verify(pub, imageDigest)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("signature %d: %w", i, err)
			}
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		if first == nil {
			first = errors.New("no signatures")
		}
		return nil, first
	}
	return out, nil
}

// ociConfig is the config go-containerregistry writes for an image built on
// empty.Image by mutate.Append, which is how cosign builds signature images.
type ociConfig struct {
	Architecture string       `json:"architecture"`
	Created      string       `json:"created"`
	History      []ociHistory `json:"history"`
	OS           string       `json:"os"`
	RootFS       ociRootFS    `json:"rootfs"`
	Config       struct{}     `json:"config"`
}

type ociHistory struct {
	Created string `json:"created"`
}

type ociRootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// zeroTime is how go-containerregistry writes an unset time.
const zeroTime = "0001-01-01T00:00:00Z"

// Encode returns the signature image as cosign v2 writes it: an OCI manifest whose
// config lists each layer's digest as its diff ID (the payloads are not compressed),
// and one simple-signing layer per signature with its annotations. The same image
// always encodes to the same bytes.
func (img SignatureImage) Encode() (Artifact, error) {
	if len(img.Signatures) == 0 {
		return Artifact{}, errors.New("signature image without signatures")
	}
	cfg := ociConfig{Created: zeroTime, RootFS: ociRootFS{Type: "layers", DiffIDs: []string{}}}
	m := Manifest{SchemaVersion: 2, MediaType: MediaTypeOCIManifest, Layers: []Descriptor{}}
	var layers []Blob
	for _, s := range img.Signatures {
		d := descriptorOf(s.MediaType, s.Payload)
		if len(s.Annotations) > 0 {
			d.Annotations = maps.Clone(s.Annotations)
		}
		m.Layers = append(m.Layers, d)
		layers = append(layers, Blob{Descriptor: d, Data: s.Payload})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d.Digest)
		cfg.History = append(cfg.History, ociHistory{Created: zeroTime})
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return Artifact{}, err
	}
	m.Config = descriptorOf(MediaTypeOCIConfig, config)
	a, err := encodeManifest(m)
	if err != nil {
		return Artifact{}, err
	}
	a.Blobs = append([]Blob{{Descriptor: m.Config, Data: config}}, layers...)
	return a, nil
}

// DecodeSignatureImage reads a signature image from its manifest; blob returns the
// content of a layer, which is checked against the layer's digest and size. blob is
// called only for layers of at most MaxPayload bytes and should read no more than the
// descriptor's size. Layers of
// other media types are kept (so nothing is lost when the image is written back) but
// never verify.
func DecodeSignatureImage(manifest []byte, blob func(Descriptor) ([]byte, error)) (SignatureImage, error) {
	m, err := ParseManifest(manifest)
	if err != nil {
		return SignatureImage{}, err
	}
	var img SignatureImage
	for i, l := range m.Layers {
		if l.Size > MaxPayload {
			return SignatureImage{}, fmt.Errorf("layer %d: %d bytes, at most %d", i, l.Size, MaxPayload)
		}
		data, err := blob(l)
		if err != nil {
			return SignatureImage{}, fmt.Errorf("layer %d: %w", i, err)
		}
		if err := checkBlob(fmt.Sprintf("layer %d", i), l, data); err != nil {
			return SignatureImage{}, err
		}
		img.Signatures = append(img.Signatures, Signature{MediaType: l.MediaType, Payload: data, Annotations: maps.Clone(l.Annotations)})
	}
	return img, nil
}
