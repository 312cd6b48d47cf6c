package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Registry is a running distribution registry (filesystem storage in a temp dir, plain
// HTTP on loopback, no auth).
type Registry struct {
	// Host is host:port, the first part of the repositories' names.
	Host string
	Dir  string
}

// StartRegistry starts the reference `registry` binary; t.Cleanup stops it.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	bin := RefBin(t, "registry")
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, dir, "registry", bin, "serve", filepath.Join(dir, "config.yml")).waitListen(t, addr)
	r := &Registry{Host: addr, Dir: dir}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry at %s is not ready: %v", addr, err)
		}
	}
}

// Image is a pushed manifest.
type Image struct {
	Digest string // sha256:<hex> of the manifest
	Size   int64
}

// Push uploads a tiny image (a config blob and one layer, unique per repo:tag) to
// repo (without host) under tag, with plain registry API calls, and returns the
// manifest's digest and size.
func (r *Registry) Push(t testing.TB, repo, tag string) Image {
	t.Helper()
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Labels":{"ref":%q}},"rootfs":{"type":"layers","diff_ids":[]}}`, repo+":"+tag))
	layer := []byte("layer of " + repo + ":" + tag)
	for _, blob := range [][]byte{config, layer} {
		r.pushBlob(t, repo, blob)
	}
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        descriptor("application/vnd.docker.container.image.v1+json", config),
		"layers":        []any{descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", layer)},
	})
	req, _ := http.NewRequest(http.MethodPut, "http://"+r.Host+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(manifest))
	req.Header.Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
	mustStatus(t, req, http.StatusCreated)
	return Image{Digest: digestOf(manifest), Size: int64(len(manifest))}
}

func (r *Registry) pushBlob(t testing.TB, repo string, blob []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.Host+"/v2/"+repo+"/blobs/uploads/", nil)
	resp := mustStatus(t, req, http.StatusAccepted)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !loc.IsAbs() {
		loc, _ = url.Parse("http://" + r.Host + loc.String())
	}
	q := loc.Query()
	q.Set("digest", digestOf(blob))
	loc.RawQuery = q.Encode()
	req, _ = http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(blob))
	req.Header.Set("Content-Type", "application/octet-stream")
	mustStatus(t, req, http.StatusCreated)
}

func descriptor(mediaType string, b []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "size": len(b), "digest": digestOf(b)}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustStatus(t testing.TB, req *http.Request, want int) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s, want %d: %s", req.Method, req.URL, resp.Status, want, body)
	}
	return resp
}
