package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readServer is a registry holding an index under the referrers fallback tag of
// digest, a blob, and (when api is set) the referrers API.
func readServer(t *testing.T, api bool) (*Client, string, []byte, []byte) {
	t.Helper()
	index := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	blob := []byte("payload")
	digest := "sha256:" + strings.Repeat("a", 64)
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/v2/dev/app/referrers/", func(w http.ResponseWriter, r *http.Request) {
		if !api {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
		w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"from":"api"}]}`))
	})
	mux.HandleFunc("/v2/dev/app/manifests/", func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/v2/dev/app/manifests/") {
		case "sha256-" + strings.Repeat("a", 64):
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Write(index)
		case digest: // a registry answering a digest with other bytes
			w.Write(index)
		default:
			http.NotFound(w, r)
		}
	})
	mux.HandleFunc("/v2/dev/app/blobs/", func(w http.ResponseWriter, r *http.Request) {
		w.Write(blob)
	})
	reg, err := New(strings.TrimPrefix(srv.URL, "https://"), Options{Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	return reg, digest, index, blob
}

func TestReferrers(t *testing.T) {
	ctx := context.Background()
	reg, digest, index, _ := readServer(t, false)
	got, err := reg.Referrers(ctx, "dev/app", digest)
	if err != nil || string(got) != string(index) {
		t.Fatalf("fallback tag: %s, %v", got, err)
	}
	if _, err := reg.Referrers(ctx, "dev/app", "sha256:"+strings.Repeat("b", 64)); !errors.Is(err, ErrNotFound) {
		t.Errorf("no referrers: %v, want ErrNotFound", err)
	}
	if _, err := reg.Referrers(ctx, "dev/app", "sha256:abc"); err == nil {
		t.Error("a malformed digest was asked for")
	}
	reg, digest, _, _ = readServer(t, true)
	if got, err := reg.Referrers(ctx, "dev/app", digest); err != nil || !strings.Contains(string(got), `"from":"api"`) {
		t.Errorf("referrers API: %s, %v", got, err)
	}
}

func TestManifestAndBlobDigests(t *testing.T) {
	ctx := context.Background()
	reg, digest, _, blob := readServer(t, false)
	if _, _, err := reg.Manifest(ctx, "dev/app", digest); err == nil || !strings.Contains(err.Error(), "the registry sent") {
		t.Errorf("manifest with other bytes than its digest: %v", err)
	}
	if _, _, err := reg.Manifest(ctx, "dev/app", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing manifest: %v, want ErrNotFound", err)
	}
	if _, err := reg.Blob(ctx, "dev/app", digestOf(blob), 100); err != nil {
		t.Errorf("blob: %v", err)
	}
	if _, err := reg.Blob(ctx, "dev/app", digest, 100); err == nil || !strings.Contains(err.Error(), "the registry sent") {
		t.Errorf("blob with other bytes than its digest: %v", err)
	}
	if _, err := reg.Blob(ctx, "dev/app", digestOf(blob), 3); err == nil {
		t.Error("a blob over its limit was read")
	}
}
