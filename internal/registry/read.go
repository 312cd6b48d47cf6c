package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Reads of signature artifacts (cosign's .sig images and bundle referrers) for fetch:
// manifests by tag or digest, blobs by digest, and an image's referrers. Every body is
// bounded and checked against the digest it was asked by; what it says is verified by
// the caller, later and offline.

// ErrNotFound is a 404 for a manifest, blob or referrers list: nothing is there.
var ErrNotFound = errors.New("not found")

// Media types of the answers read here.
const (
	mediaTypeOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeOCIIndex    = "application/vnd.oci.image.index.v1+json"
)

// Manifest returns the manifest repo:ref (a tag or a digest) as received and its
// descriptor. A ref that is a digest must be the digest of the bytes received. A 404 is
// ErrNotFound.
func (c *Client) Manifest(ctx context.Context, repo, ref string) ([]byte, Descriptor, error) {
	accept := append([]string{mediaTypeOCIManifest, mediaTypeOCIIndex}, manifestTypes...)
	body, header, err := c.get(ctx, "/v2/"+repo+"/manifests/"+url.PathEscape(ref), repo, strings.Join(accept, ", "), maxManifest)
	if err != nil {
		return nil, Descriptor{}, err
	}
	d := Descriptor{MediaType: header.Get("Content-Type"), Digest: digestOf(body), Size: int64(len(body))}
	if strings.HasPrefix(ref, "sha256:") && ref != d.Digest {
		return nil, Descriptor{}, fmt.Errorf("manifest %s of %s: the registry sent %s", Clean(ref), repo, d.Digest)
	}
	return body, d, nil
}

// Blob returns the blob digest of repo, of at most limit bytes; its content must have
// that digest.
func (c *Client) Blob(ctx context.Context, repo, digest string, limit int64) ([]byte, error) {
	if !strings.HasPrefix(digest, "sha256:") {
		return nil, fmt.Errorf("blob %q of %s: only sha256 digests are read", Clean(digest), repo)
	}
	body, _, err := c.get(ctx, "/v2/"+repo+"/blobs/"+digest, repo, "", limit)
	if err != nil {
		return nil, err
	}
	if got := digestOf(body); got != digest {
		return nil, fmt.Errorf("blob %s of %s: the registry sent %s", digest, repo, got)
	}
	return body, nil
}

// Referrers returns the image index listing the referrers of the manifest digest in
// repo: the OCI 1.1 referrers API, else the fallback tag sha256-<hex> (OCI distribution
// 1.1, "referrers tag schema"), which is where cosign v3 pushes on registries without
// the API. No referrers at all is ErrNotFound.
func (c *Client) Referrers(ctx context.Context, repo, digest string) ([]byte, error) {
	hexDigits, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexDigits) != 64 {
		return nil, fmt.Errorf("referrers of %q in %s: not a sha256 digest", Clean(digest), repo)
	}
	body, header, err := c.get(ctx, "/v2/"+repo+"/referrers/"+digest, repo, mediaTypeOCIIndex, maxManifest)
	if err == nil && strings.HasPrefix(header.Get("Content-Type"), mediaTypeOCIIndex) {
		return body, nil
	}
	// A registry without the API answers 404 (distribution v3), or something that is not
	// an index; either way the fallback tag is where the referrers are.
	if err != nil && !errors.Is(err, ErrNotFound) {
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest && se.Status != http.StatusMethodNotAllowed {
			return nil, err
		}
	}
	body, _, err = c.Manifest(ctx, repo, "sha256-"+hexDigits)
	return body, err
}

// get reads path on the registry with a pull scope for repo.
func (c *Client) get(ctx context.Context, path, repo, accept string, limit int64) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ep, err := c.endpoint(ctx)
	if err != nil {
		return nil, nil, err
	}
	u := ep.Base().String() + path
	res, attempts, err := ep.Do(ctx, Request{Method: http.MethodGet, URL: u, Accept: accept,
		Scope: "repository:" + repo + ":pull", Limit: limit, Idempotent: true})
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			return nil, nil, fmt.Errorf("GET %s: %w", u, ErrNotFound)
		}
		return nil, nil, c.wrap(ep, u, err, attempts)
	}
	return res.Body, res.Header, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
