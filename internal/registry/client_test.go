package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestResolveTokenAuth resolves a tag on a registry that wants a bearer token from its
// token service, obtained with the docker login credentials of that registry.
func TestResolveTokenAuth(t *testing.T) {
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	sum := sha256.Sum256(manifest)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var tokenQuery string
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "alice" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tokenQuery = r.URL.RawQuery
		fmt.Fprint(w, `{"token":"tok"}`)
	})
	challenge := func(w http.ResponseWriter) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="registry.test"`, srv.URL))
		w.WriteHeader(http.StatusUnauthorized)
	}
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) { challenge(w) })
	mux.HandleFunc("/v2/dev/app/manifests/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			challenge(w)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/vnd.oci.image.index.v1+json") {
			t.Errorf("Accept: %q", r.Header.Get("Accept"))
		}
		if r.URL.Path != "/v2/dev/app/manifests/1.0" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Docker-Content-Digest", digest)
		w.Write(manifest)
	})
	host := strings.TrimPrefix(srv.URL, "https://")
	creds := func() (Credential, error) {
		return Credential{Username: "alice", Secret: "s3cret", Source: "test", Home: host}, nil
	}
	reg, err := New(host, Options{Credentials: creds, Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg.Resolve(context.Background(), "dev/app", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != digest || got.Size != int64(len(manifest)) {
		t.Fatalf("got %+v, want %s", got, digest)
	}
	if tokenQuery != "account=alice&scope=repository%3Adev%2Fapp%3Apull&service=registry.test" {
		t.Fatalf("token request %q", tokenQuery)
	}
	if _, err := reg.Resolve(context.Background(), "dev/app", "2.0"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown tag: %v", err)
	}
}
