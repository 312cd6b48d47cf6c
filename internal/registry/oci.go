package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The OCI distribution calls (spec v1.1) that signatures and evidence need: HEAD and GET
// of manifests and blobs, blob upload, manifest put, an image's referrers. Each is one
// Request on the registry's Endpoint, with a pull or push,pull scope; every body read
// is bounded and checked against the digest it was asked by.

// ErrNotFound is a manifest, blob or referrers list the registry does not have (404).
var ErrNotFound = errors.New("not found in the registry")

// Manifest media types trustctl reads and writes.
const mediaTypeOCIIndex = "application/vnd.oci.image.index.v1+json"

// Head returns the descriptor of the manifest repo:ref (a tag or a digest) from a HEAD
// request: the registry's Docker-Content-Digest, Content-Length and Content-Type. A
// manifest the registry does not hold is ErrNotFound.
func (c *Client) Head(ctx context.Context, repo, ref string) (Descriptor, error) {
	res, err := c.do(ctx, Request{Method: http.MethodHead, URL: "/v2/" + repo + "/manifests/" + url.PathEscape(ref),
		Accept: strings.Join(manifestTypes, ", "), Scope: pullScope(repo), Idempotent: true})
	if err != nil {
		return Descriptor{}, err
	}
	d := Descriptor{MediaType: res.Header.Get("Content-Type"), Digest: res.Header.Get("Docker-Content-Digest")}
	if d.Size, err = strconv.ParseInt(res.Header.Get("Content-Length"), 10, 64); err != nil || d.Size < 0 {
		return Descriptor{}, fmt.Errorf("HEAD %s/manifests/%s: no valid Content-Length", repo, Clean(ref))
	}
	if !strings.HasPrefix(d.Digest, "sha256:") {
		return Descriptor{}, fmt.Errorf("HEAD %s/manifests/%s: no sha256 Docker-Content-Digest", repo, Clean(ref))
	}
	return d, nil
}

// Manifest returns the manifest repo:ref of one of the media types accept, at most
// limit bytes, with its descriptor computed over the bytes received. ErrNotFound when
// the registry has none.
func (c *Client) Manifest(ctx context.Context, repo, ref string, limit int64, accept ...string) ([]byte, Descriptor, error) {
	res, err := c.do(ctx, Request{Method: http.MethodGet, URL: "/v2/" + repo + "/manifests/" + url.PathEscape(ref),
		Accept: strings.Join(accept, ", "), Scope: pullScope(repo), Limit: limit, Idempotent: true})
	if err != nil {
		return nil, Descriptor{}, err
	}
	d := Descriptor{MediaType: res.Header.Get("Content-Type"), Digest: digestOf(res.Body), Size: int64(len(res.Body))}
	if strings.HasPrefix(ref, "sha256:") && d.Digest != ref {
		return nil, Descriptor{}, fmt.Errorf("GET %s/manifests/%s: the manifest received has digest %s", repo, ref, d.Digest)
	}
	return res.Body, d, nil
}

// Blob returns the blob d of repo, checked against d's size and digest.
func (c *Client) Blob(ctx context.Context, repo string, d Descriptor) ([]byte, error) {
	res, err := c.do(ctx, Request{Method: http.MethodGet, URL: "/v2/" + repo + "/blobs/" + url.PathEscape(d.Digest),
		Scope: pullScope(repo), Limit: d.Size, Idempotent: true})
	if err != nil {
		return nil, err
	}
	if int64(len(res.Body)) != d.Size || digestOf(res.Body) != d.Digest {
		return nil, fmt.Errorf("blob %s of %s: the content received is not the one asked for", d.Digest, repo)
	}
	return res.Body, nil
}

// PushBlob uploads data to repo unless the registry has it already: a monolithic
// upload (POST, then PUT with the digest), which the registry checks against the
// content before it keeps anything.
func (c *Client) PushBlob(ctx context.Context, repo string, data []byte) error {
	digest := digestOf(data)
	_, err := c.do(ctx, Request{Method: http.MethodHead, URL: "/v2/" + repo + "/blobs/" + digest,
		Scope: pushScope(repo), Idempotent: true})
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	res, err := c.do(ctx, Request{Method: http.MethodPost, URL: "/v2/" + repo + "/blobs/uploads/", Scope: pushScope(repo), Limit: maxWriteAnswer})
	if err != nil {
		return err
	}
	ep, err := c.endpoint(ctx)
	if err != nil {
		return err
	}
	loc, err := ep.Base().Parse(res.Header.Get("Location"))
	if err != nil || loc.Scheme != ep.Base().Scheme || loc.Host != ep.Base().Host {
		// The upload URL must stay on the registry's origin: the session is authorised
		// by the registry's token, which goes nowhere else.
		return fmt.Errorf("POST %s/blobs/uploads/: upload location %q is not on %s", repo, Clean(redact(res.Header.Get("Location"))), ep.Base().String())
	}
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	_, err = c.do(ctx, Request{Method: http.MethodPut, URL: loc.String(), Body: data, ContentType: "application/octet-stream",
		Scope: pushScope(repo), Limit: maxWriteAnswer})
	return err
}

// PutManifest stores manifest under ref (a tag, or its own digest) and returns its
// descriptor. The registry must agree on the digest.
func (c *Client) PutManifest(ctx context.Context, repo, ref, mediaType string, manifest []byte) (Descriptor, error) {
	d := Descriptor{MediaType: mediaType, Digest: digestOf(manifest), Size: int64(len(manifest))}
	// Putting the same bytes under the same reference again is harmless: retried.
	res, err := c.do(ctx, Request{Method: http.MethodPut, URL: "/v2/" + repo + "/manifests/" + url.PathEscape(ref),
		Body: manifest, ContentType: mediaType, Scope: pushScope(repo), Limit: maxWriteAnswer, Idempotent: true})
	if err != nil {
		return Descriptor{}, err
	}
	if got := res.Header.Get("Docker-Content-Digest"); got != "" && got != d.Digest {
		return Descriptor{}, fmt.Errorf("PUT %s/manifests/%s: the registry says digest %s, the manifest has %s", repo, Clean(ref), Clean(got), d.Digest)
	}
	return d, nil
}

// maxWriteAnswer bounds the body of an answer to a write (registries send none or a
// short JSON).
const maxWriteAnswer = 64 << 10

// maxReferrers bounds a referrers list.
const maxReferrers = 4 << 20

// ReferrersIndex returns the image index listing the referrers of the manifest digest
// in repo: from the OCI 1.1 referrers API (api true), else from the fallback tag
// sha256-<hex> (OCI distribution 1.1, "referrers tag schema"), which is where cosign v3
// and trustctl push on registries without the API. No referrers at all is ErrNotFound.
func (c *Client) ReferrersIndex(ctx context.Context, repo, digest string) (index []byte, api bool, err error) {
	hexDigits, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexDigits) != 64 || strings.Trim(hexDigits, "0123456789abcdef") != "" {
		return nil, false, fmt.Errorf("referrers of %q in %s: not a sha256 digest", Clean(digest), repo)
	}
	res, err := c.do(ctx, Request{Method: http.MethodGet, URL: "/v2/" + repo + "/referrers/" + digest,
		Accept: mediaTypeOCIIndex, Scope: pullScope(repo), Limit: maxReferrers, Idempotent: true})
	// A registry without the API answers 404 (distribution v3), 400 or 405, or 200 with
	// something that is not an index (a web page); then the fallback tag holds them.
	if err == nil && strings.HasPrefix(res.Header.Get("Content-Type"), mediaTypeOCIIndex) {
		return res.Body, true, nil
	}
	var se *StatusError
	if err != nil && !errors.Is(err, ErrNotFound) &&
		!(errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusMethodNotAllowed)) {
		return nil, false, err
	}
	index, _, err = c.Manifest(ctx, repo, "sha256-"+hexDigits, maxReferrers, mediaTypeOCIIndex)
	return index, false, err
}

func pullScope(repo string) string { return "repository:" + repo + ":pull" }
func pushScope(repo string) string { return "repository:" + repo + ":pull,push" }

// do sends r (URL relative to the registry, or absolute on its origin) within the
// client's timeout; 404 is ErrNotFound, other failures say the method and URL.
func (c *Client) do(ctx context.Context, r Request) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ep, err := c.endpoint(ctx)
	if err != nil {
		return Response{}, err
	}
	if strings.HasPrefix(r.URL, "/") {
		r.URL = ep.Base().String() + r.URL
	}
	res, attempts, err := ep.Do(ctx, r)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return res, fmt.Errorf("%s %s: %w", r.Method, redact(r.URL), ErrNotFound)
	}
	if err != nil {
		return res, c.wrapMethod(ep, r.Method, redact(r.URL), err, attempts)
	}
	return res, nil
}

// redact drops the query of an upload URL (its state token) from messages.
func redact(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
