package registry

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAuthorizationPerOrigin: Authorization follows a redirect on the same origin only;
// another port gets none, and https never redirects to http.
func TestAuthorizationPerOrigin(t *testing.T) {
	var got = map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got["other"+r.URL.Path] = r.Header.Get("Authorization")
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got["home"+r.URL.Path] = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
		case "/port":
			http.Redirect(w, r, other.URL+"/target", http.StatusTemporaryRedirect)
		}
	}))
	defer home.Close()
	hc := NewHTTPClient(http.DefaultTransport)
	for _, path := range []string{"/same", "/port"} {
		req, _ := http.NewRequest(http.MethodGet, home.URL+path, nil)
		req.Header.Set("Authorization", "Bearer set-by-caller") // never leaves as is
		resp, err := hc.Do(WithAuthorization(req, "Bearer tok"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := map[string]string{"home/same": "Bearer tok", "home/target": "Bearer tok", "home/port": "Bearer tok", "other/target": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s got Authorization %q, want %q", k, got[k], v)
		}
	}

	tlsHome := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/downgrade", http.StatusFound)
	}))
	defer tlsHome.Close()
	_, err := NewHTTPClient(tlsHome.Client().Transport).Get(tlsHome.URL + "/x")
	if err == nil || !strings.Contains(err.Error(), "refusing the redirect") || got["other/downgrade"] != "" {
		t.Fatalf("https to http redirect: %v", err)
	}
}

func TestReadBody(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	resp := func(enc string, body []byte, length int64) *http.Response {
		h := http.Header{}
		if enc != "" {
			h.Set("Content-Encoding", enc)
		}
		return &http.Response{Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: length}
	}
	tests := []struct {
		name    string
		resp    *http.Response
		want    string
		tooBig  bool
		wantErr bool
	}{
		{"plain", resp("", []byte("hello"), 5), "hello", false, false},
		{"at the cap", resp("", []byte("0123456789"), -1), "0123456789", false, false},
		{"over the cap", resp("", []byte("0123456789x"), -1), "", true, false},
		{"Content-Length over the cap", resp("", []byte("x"), 11), "", true, false},
		{"gzip", resp("gzip", gz([]byte("hello")), -1), "hello", false, false},
		{"gzip inflating over the cap", resp("gzip", gz(make([]byte, 11)), -1), "", true, false},
		{"br", resp("br", []byte("x"), -1), "", false, true},
		{"bad gzip", resp("gzip", []byte("not gzip"), -1), "", false, true},
	}
	for _, tt := range tests {
		b, err := ReadBody(tt.resp, 10)
		switch {
		case tt.tooBig && !errors.Is(err, ErrTooLarge), tt.wantErr && err == nil,
			!tt.tooBig && !tt.wantErr && (err != nil || string(b) != tt.want):
			t.Errorf("%s: %q, %v", tt.name, b, err)
		}
	}
}

// FuzzReadBody: whatever a server sends, under whatever encoding, at most the cap comes
// back.
func FuzzReadBody(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(make([]byte, 1000))
	zw.Close()
	f.Add("gzip", buf.Bytes(), int64(100))
	f.Add("", []byte("hello"), int64(5))
	f.Add("identity", []byte("hello"), int64(4))
	f.Fuzz(func(t *testing.T, enc string, body []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		h := http.Header{}
		h.Set("Content-Encoding", enc)
		b, err := ReadBody(&http.Response{Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1}, limit)
		if int64(len(b)) > limit || err != nil && b != nil {
			t.Fatalf("%d bytes (cap %d), %v", len(b), limit, err)
		}
	})
}
