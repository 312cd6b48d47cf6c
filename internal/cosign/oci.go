package cosign

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// OCI media types of what cosign writes (go-containerregistry's types, as cosign v2.6's
// empty.Signatures and v3.1's referrer manifests use them).
const (
	MediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeOCIEmpty    = "application/vnd.oci.empty.v1+json"
	// cosign writes Docker's schema 2 instead when COSIGN_DOCKER_MEDIA_TYPES is set.
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
)

// maxLayers bounds the layers of a manifest read from a registry: one per signature.
const maxLayers = 1000

// maxManifest bounds a manifest read from a registry (the OCI distribution spec lets
// registries refuse manifests over 4 MiB).
const maxManifest = 4 << 20

// Descriptor is an OCI content descriptor, its fields in go-containerregistry's order.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Size         int64             `json:"size"`
	Digest       string            `json:"digest"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
}

// Manifest is an OCI image manifest: the fields cosign writes, in the order it writes
// them (go-containerregistry's v1.Manifest, then artifactType).
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
}

// Blob is content to upload, addressed by its digest.
type Blob struct {
	Descriptor Descriptor
	Data       []byte
}

// Artifact is an encoded manifest with every blob it references, ready for a registry.
type Artifact struct {
	Manifest []byte
	// Descriptor describes Manifest (its media type, size and digest).
	Descriptor Descriptor
	// Blobs are the config first, then the layers in order.
	Blobs []Blob
}

// Digest returns the sha256:<hex> digest of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descriptorOf(mediaType string, b []byte) Descriptor {
	return Descriptor{MediaType: mediaType, Size: int64(len(b)), Digest: Digest(b)}
}

// ParseManifest reads an image manifest from a registry and checks what the readers
// here rely on: schema version 2, the OCI (or Docker schema 2) manifest media type, well-formed digests,
// sizes that are not negative, and a bounded number of layers.
func ParseManifest(b []byte) (Manifest, error) {
	if len(b) > maxManifest {
		return Manifest{}, fmt.Errorf("manifest of %d bytes, at most %d", len(b), maxManifest)
	}
	if err := noDuplicateKeys(b, 0); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	if m.SchemaVersion != 2 {
		return Manifest{}, fmt.Errorf("manifest schemaVersion %d, want 2", m.SchemaVersion)
	}
	if m.MediaType != MediaTypeOCIManifest && m.MediaType != mediaTypeDockerManifest {
		return Manifest{}, fmt.Errorf("manifest mediaType %q, want %q", m.MediaType, MediaTypeOCIManifest)
	}
	if len(m.Layers) > maxLayers {
		return Manifest{}, fmt.Errorf("manifest has %d layers, at most %d", len(m.Layers), maxLayers)
	}
	if err := checkDescriptor("config", m.Config); err != nil {
		return Manifest{}, err
	}
	for i, l := range m.Layers {
		if err := checkDescriptor(fmt.Sprintf("layer %d", i), l); err != nil {
			return Manifest{}, err
		}
	}
	if m.Subject != nil {
		if err := checkDescriptor("subject", *m.Subject); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

func checkDescriptor(what string, d Descriptor) error {
	if !digestPattern.MatchString(d.Digest) {
		return fmt.Errorf("manifest %s: digest %q is not sha256:<64 hex>", what, d.Digest)
	}
	if d.Size < 0 {
		return fmt.Errorf("manifest %s: negative size %d", what, d.Size)
	}
	if d.MediaType == "" {
		return fmt.Errorf("manifest %s: no mediaType", what)
	}
	return nil
}

// checkBlob checks that data is the content d describes.
func checkBlob(what string, d Descriptor, data []byte) error {
	if int64(len(data)) != d.Size {
		return fmt.Errorf("%s: %d bytes, descriptor says %d", what, len(data), d.Size)
	}
	if got := Digest(data); got != d.Digest {
		return fmt.Errorf("%s: digest %s, descriptor says %s", what, got, d.Digest)
	}
	return nil
}

// SignatureTag is the tag of an image's legacy signature image: its digest with ":"
// replaced by "-" and the suffix ".sig" (cosign's ociremote.SignatureTag).
func SignatureTag(digest string) (string, error) {
	if !digestPattern.MatchString(digest) {
		return "", fmt.Errorf("image digest %q is not sha256:<64 hex>", digest)
	}
	return strings.Replace(digest, ":", "-", 1) + ".sig", nil
}

// encodeManifest encodes m as cosign does (encoding/json of the struct, no newline).
func encodeManifest(m Manifest) (Artifact, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Manifest: b, Descriptor: descriptorOf(m.MediaType, b)}, nil
}
