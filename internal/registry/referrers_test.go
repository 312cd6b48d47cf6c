package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// referrersServer is a registry holding an index under the referrers fallback tag of
// digest, a blob, and (when api is set) the referrers API.
func referrersServer(t *testing.T, api bool) (*Client, string, []byte, []byte) {
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

func TestReferrersIndex(t *testing.T) {
	ctx := context.Background()
	reg, digest, index, _ := referrersServer(t, false)
	got, api, err := reg.ReferrersIndex(ctx, "dev/app", digest)
	if err != nil || api || string(got) != string(index) {
		t.Fatalf("fallback tag: %s, api=%v, %v", got, api, err)
	}
	if _, _, err := reg.ReferrersIndex(ctx, "dev/app", "sha256:"+strings.Repeat("b", 64)); !errors.Is(err, ErrNotFound) {
		t.Errorf("no referrers: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"sha256:abc", "sha256:" + strings.Repeat("A", 64), "sha256:" + strings.Repeat("a", 63) + "/"} {
		if _, _, err := reg.ReferrersIndex(ctx, "dev/app", bad); err == nil {
			t.Errorf("a malformed digest %q was asked for", bad)
		}
	}
	reg, digest, _, _ = referrersServer(t, true)
	if got, api, err := reg.ReferrersIndex(ctx, "dev/app", digest); err != nil || !api || !strings.Contains(string(got), `"from":"api"`) {
		t.Errorf("referrers API: %s, api=%v, %v", got, api, err)
	}
}

func TestManifestAndBlobDigests(t *testing.T) {
	ctx := context.Background()
	reg, digest, _, blob := referrersServer(t, false)
	if _, _, err := reg.Manifest(ctx, "dev/app", digest, MaxManifest); err == nil || !strings.Contains(err.Error(), "has digest") {
		t.Errorf("manifest with other bytes than its digest: %v", err)
	}
	if _, _, err := reg.Manifest(ctx, "dev/app", "nope", MaxManifest); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing manifest: %v, want ErrNotFound", err)
	}
	if _, err := reg.Blob(ctx, "dev/app", Descriptor{Digest: digestOf(blob), Size: int64(len(blob))}); err != nil {
		t.Errorf("blob: %v", err)
	}
	if _, err := reg.Blob(ctx, "dev/app", Descriptor{Digest: digest, Size: int64(len(blob))}); err == nil {
		t.Error("a blob with other bytes than its digest was accepted")
	}
	if _, err := reg.Blob(ctx, "dev/app", Descriptor{Digest: digestOf(blob), Size: 3}); err == nil {
		t.Error("a blob over its size was read")
	}
}
