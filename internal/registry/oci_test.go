package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeRegistry answers the write calls; handler decides each request after /v2/.
func fakeRegistry(t *testing.T, handler http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(strings.TrimPrefix(srv.URL, "https://"), Options{Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	c.endpointForTest(t)
	return c
}

func (c *Client) endpointForTest(t *testing.T) {
	t.Helper()
	ep, err := c.endpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ep.SetBackoff(nil)
}

// TestPushBlobUploadLocation: the upload URL a registry hands out must stay on its
// origin (the token for the registry would follow it), and its state token is kept out
// of error messages.
func TestPushBlobUploadLocation(t *testing.T) {
	for _, tc := range []struct {
		name, location, want string
	}{
		{"other host", "https://attacker.example/v2/dev/app/blobs/uploads/1?_state=secret", "is not on"},
		{"plain http", "http://%s/v2/dev/app/blobs/uploads/1?_state=secret", "is not on"},
		{"refused put", "/v2/dev/app/blobs/uploads/1?_state=secret", "HTTP 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var host string
			var puts int
			c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodHead:
					http.NotFound(w, r)
				case http.MethodPost:
					loc := tc.location
					if strings.Contains(loc, "%s") {
						loc = strings.Replace(loc, "%s", host, 1)
					}
					w.Header().Set("Location", loc)
					w.WriteHeader(http.StatusAccepted)
				case http.MethodPut:
					puts++
					if r.URL.Query().Get("digest") != digestOf([]byte("blob")) {
						t.Errorf("PUT without the digest: %s", r.URL)
					}
					http.Error(w, "bad upload", http.StatusBadRequest)
				}
			})
			host = c.host
			err := c.PushBlob(context.Background(), "dev/app", []byte("blob"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the upload state is in the message: %v", err)
			}
			if tc.want == "is not on" && puts != 0 {
				t.Errorf("%d PUTs to another origin", puts)
			}
		})
	}
}

// TestHeadAndNotFound: HEAD reads the descriptor from the headers; a 404 anywhere is
// ErrNotFound; a blob whose content is not the digest asked for is refused.
func TestHeadAndNotFound(t *testing.T) {
	digest := digestOf([]byte("manifest"))
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodHead && strings.HasSuffix(r.URL.Path, "/manifests/1.0"):
			w.Header().Set("Docker-Content-Digest", digest)
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "8")
		case strings.Contains(r.URL.Path, "/blobs/"):
			w.Write([]byte("not the blob"))
		default:
			http.NotFound(w, r)
		}
	})
	ctx := context.Background()
	d, err := c.Head(ctx, "dev/app", "1.0")
	if err != nil || d.Digest != digest || d.Size != 8 || d.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("Head = %+v, %v", d, err)
	}
	if _, err := c.Head(ctx, "dev/app", "2.0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Head of a missing tag: %v", err)
	}
	if _, _, err := c.Manifest(ctx, "dev/app", "2.0", 1<<20); !errors.Is(err, ErrNotFound) {
		t.Errorf("Manifest of a missing tag: %v", err)
	}
	if _, _, err := c.ReferrersIndex(ctx, "dev/app", digest); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReferrersIndex without the API or a fallback tag: %v", err)
	}
	if _, err := c.Blob(ctx, "dev/app", Descriptor{Digest: digest, Size: 12}); err == nil || !strings.Contains(err.Error(), "not the one asked for") {
		t.Errorf("Blob with other content: %v", err)
	}
}
