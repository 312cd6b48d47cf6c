package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// OCI test helpers: plain distribution API calls for tests that put or read signature
// artifacts around the reference binaries. Production code writes through the registry
// client; these exist so a test can stage what it needs without it.

// PushArtifact uploads blobs (each addressed by its sha256) and then the manifest under
// ref (a tag or the manifest's digest) with the given media type, and returns the
// manifest's digest.
func (r *Registry) PushArtifact(t testing.TB, repo, ref, mediaType string, manifest []byte, blobs ...[]byte) string {
	t.Helper()
	for _, b := range blobs {
		r.pushBlob(t, repo, b)
	}
	req, _ := http.NewRequest(http.MethodPut, "http://"+r.Host+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(manifest))
	req.Header.Set("Content-Type", mediaType)
	mustStatus(t, req, http.StatusCreated)
	return digestOf(manifest)
}

// Manifest returns the manifest under ref (tag or digest) and its media type, or nil
// when the registry has none (404).
func (r *Registry) Manifest(t testing.TB, repo, ref string) ([]byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/"+ref, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	body, resp := get(t, req)
	if resp.StatusCode == http.StatusNotFound {
		return nil, ""
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	return body, resp.Header.Get("Content-Type")
}

// Blob returns the content of a blob.
func (r *Registry) Blob(t testing.TB, repo, digest string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/blobs/"+digest, nil)
	body, resp := get(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	if got := digestOf(body); got != digest {
		t.Fatalf("blob %s has digest %s", digest, got)
	}
	return body
}

func get(t testing.TB, req *http.Request) ([]byte, *http.Response) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", req.URL, err))
	}
	return body, resp
}
