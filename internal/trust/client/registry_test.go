package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/server"
)

// TestRegistryTokenAuth resolves a tag on a registry that wants a bearer token from its
// token service, obtained with the docker login credentials.
func TestRegistryTokenAuth(t *testing.T) {
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
	mux.HandleFunc("/v2/dev/app/manifests/1.0", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="registry.test"`, srv.URL))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/vnd.oci.image.index.v1+json") {
			t.Errorf("Accept: %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Docker-Content-Digest", digest)
		w.Write(manifest)
	})
	creds := func(host string) (server.Credential, error) {
		return server.Credential{Username: "alice", Secret: "s3cret"}, nil
	}
	gun := strings.TrimPrefix(srv.URL, "https://") + "/dev/app"
	reg := client.Registry{Credentials: creds, Client: srv.Client()}
	got, err := reg.Resolve(context.Background(), gun, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := (client.Target{Name: "1.0", Digest: digest, Size: int64(len(manifest))}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if tokenQuery != "scope=repository%3Adev%2Fapp%3Apull&service=registry.test" {
		t.Fatalf("token request %q", tokenQuery)
	}
	if _, err := reg.Resolve(context.Background(), gun, "2.0"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown tag: %v", err)
	}
}
