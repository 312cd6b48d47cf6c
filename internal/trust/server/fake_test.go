package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/testenv"
)

const fakeGUN = "registry.example.com/dev/app"

// fake is a notary-server stand-in for faults and auth schemes the real one cannot be
// made to produce; handler answers every request after the auth check.
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string // "METHOD path" in order
}

func newFake(t *testing.T, handler http.HandlerFunc) *fake {
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == req {
			n++
		}
	}
	return n
}

func fastClient(t *testing.T, url string, o Options) *Client {
	c := mustNew(t, url, fakeGUN, o)
	c.ep.SetBackoff([]time.Duration{time.Millisecond, time.Millisecond, time.Millisecond})
	return c
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	path := "/v2/" + fakeGUN + "/_trust/tuf/"
	var mu sync.Mutex
	fails := map[string]int{}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := fails[r.Method+" "+r.URL.Path]
		fails[r.Method+" "+r.URL.Path] = n - 1
		mu.Unlock()
		if n > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "<html>upstream\nbusy</html>")
			return
		}
		fmt.Fprint(w, "{}")
	})
	c := fastClient(t, f.URL, Options{})

	fails["GET "+path+"targets.json"] = 2
	if b, err := c.GetCurrent(ctx, "targets", 0); err != nil || string(b) != "{}" || f.count("GET "+path+"targets.json") != 3 {
		t.Fatalf("503 twice then 200: %q, %v", b, err)
	}

	fails["GET "+path+"snapshot.json"] = 100
	_, err := c.GetCurrent(ctx, "snapshot", 0)
	var se *Error
	if !errors.Is(err, ErrServerUnavailable) || !errors.As(err, &se) || f.count("GET "+path+"snapshot.json") != 4 {
		t.Fatalf("503 forever: %d requests, %v", f.count("GET "+path+"snapshot.json"), err)
	}
	if want := "HTTP 503 Service Unavailable: <html>upstream (4 attempts)"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("message %q, want suffix %q", err, want)
	}

	// Non-idempotent calls are sent once whatever the 5xx.
	fails["POST "+path] = 100
	fails["POST "+path+"timestamp.key"] = 100
	if err := c.Publish(ctx, map[string][]byte{"targets": []byte("{}")}); !errors.Is(err, ErrServerUnavailable) || f.count("POST "+path) != 1 {
		t.Fatalf("publish after 503: %d requests, %v", f.count("POST "+path), err)
	}
	if _, err := c.RotateKey(ctx, "timestamp"); !errors.Is(err, ErrServerUnavailable) || f.count("POST "+path+"timestamp.key") != 1 {
		t.Fatalf("rotate after 503: %v", err)
	}

	// DELETE is idempotent.
	fails["DELETE "+path] = 1
	if err := c.Delete(ctx); err != nil || f.count("DELETE "+path) != 2 {
		t.Fatalf("delete after one 503: %v", err)
	}

	// A cancelled context stops the backoff.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.GetCurrent(cctx, "root", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestConnectionFaults(t *testing.T) {
	ctx := context.Background()

	// Connection refused: unavailable at once, for reads and publishes alike: another
	// attempt would be refused too.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := fastClient(t, "http://"+addr, Options{})
	start := time.Now()
	_, err = c.GetCurrent(ctx, "root", 0)
	if !errors.Is(err, ErrServerUnavailable) || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "attempts") {
		t.Fatalf("connection refused: %v", err)
	}
	if err := c.Publish(ctx, map[string][]byte{"root": []byte("{}")}); !errors.Is(err, ErrServerUnavailable) || strings.Contains(err.Error(), "attempts") {
		t.Fatalf("publish, connection refused: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("retries are not bounded")
	}

	// Dropped connection on every request.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		drop(w, r, nil)
	})
	_, err = fastClient(t, f.URL, Options{}).GetCurrent(ctx, "timestamp", MaxTimestampSize)
	if !errors.Is(err, ErrServerUnavailable) || f.count("GET /v2/"+fakeGUN+"/_trust/tuf/timestamp.json") < 4 {
		t.Fatalf("dropped connections: %v", err)
	}

	// A response slower than the timeout.
	slow := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	start = time.Now()
	_, err = fastClient(t, slow.URL, Options{Timeout: 300 * time.Millisecond}).GetCurrent(ctx, "timestamp", MaxTimestampSize)
	if !errors.Is(err, ErrServerUnavailable) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("slow response, after %v: %v", time.Since(start), err)
	}
}

func TestBodyLimits(t *testing.T) {
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 100)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "chunked") {
			w.(http.Flusher).Flush() // no Content-Length
		}
		w.Write(body)
	})
	c := fastClient(t, f.URL, Options{})
	sum := strings.Repeat("ab", 32)
	if b, err := c.GetByChecksum(ctx, "snapshot", sum, 100); err != nil || len(b) != 100 {
		t.Fatalf("exact length: %v", err)
	}
	if _, err := c.GetByChecksum(ctx, "snapshot", sum, 99); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "Content-Length 100, at most 99") {
		t.Fatalf("Content-Length over the expected length: %v", err)
	}
	if _, err := c.GetByChecksum(ctx, "targets/chunked", sum, 99); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 99 bytes") {
		t.Fatalf("chunked body over the expected length: %v", err)
	}
	if f.count("GET /v2/"+fakeGUN+"/_trust/tuf/snapshot."+sum+".json") != 2 {
		t.Error("a body over the limit must not be retried")
	}
	if _, err := c.GetByVersion(ctx, "root", 3, 50); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("by version over maxSize: %v", err)
	}
	for _, bad := range []func() error{
		func() error { _, err := c.GetByChecksum(ctx, "snapshot", "ABC", 1); return err },
		func() error { _, err := c.GetByChecksum(ctx, "snapshot", sum, 0); return err },
		func() error { _, err := c.GetByVersion(ctx, "root", 0, 0); return err },
		func() error { _, err := c.GetCurrent(ctx, "targets/../root", 0); return err },
		func() error { _, err := c.GetCurrent(ctx, "targets/", 0); return err },
		func() error { return c.Publish(ctx, map[string][]byte{"Targets": nil}) },
		func() error { return c.Publish(ctx, nil) },
	} {
		if err := bad(); err == nil {
			t.Error("invalid argument accepted")
		}
	}
}

// tokenFake is a notary server with token auth: resources need "Bearer tok:<actions>"
// from its token service, which wants alice's password.
// Its token service is https on 127.0.0.1: the host of the credential's home, so the
// credential may go there; rt trusts it.
func tokenFake(t *testing.T, status int) (srv *fake, rt http.RoundTripper, scopes func() []string) {
	var mu sync.Mutex
	var got []string
	var ts *httptest.Server
	ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		got = append(got, r.URL.Query().Get("scope"))
		mu.Unlock()
		if user != "alice" || pass != "s3cret-pw" || r.URL.Query().Get("service") != "notary" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		actions := r.URL.Query().Get("scope")[len("repository:"+fakeGUN+":"):]
		fmt.Fprintf(w, `{"access_token":"tok:%s","expires_in":300}`, actions)
	}))
	t.Cleanup(ts.Close)
	challenge := fmt.Sprintf(`Bearer realm="%s/token",service="notary"`, ts.URL)
	srv = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer tok:pull" // the ping is never authorised: it gets the challenge
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"):
			want = "Bearer tok:push,pull"
		case r.Method == http.MethodDelete || r.Method == http.MethodPost:
			want = "Bearer tok:*"
		}
		if r.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", challenge)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/v2/" && status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
		}
	})
	return srv, ts.Client().Transport, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func TestTokenAuth(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, rt, scopes := tokenFake(t, http.StatusOK)
	host := strings.TrimPrefix(srv.URL, "http://")
	docker := writeDockerConfig(t, host, "alice", "s3cret-pw")
	c := fastClient(t, srv.URL, Options{Credentials: registry.DockerCredentials(docker, host), Transport: rt, Logger: logger})
	if _, err := c.GetCurrent(ctx, "root", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCurrent(ctx, "targets", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, map[string][]byte{"targets": []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	want := "repository:" + fakeGUN + ":pull|repository:" + fakeGUN + ":push,pull|repository:" + fakeGUN + ":*"
	if got := strings.Join(scopes(), "|"); got != want {
		t.Errorf("scopes requested:\n got %s\nwant %s", got, want)
	}
	if srv.count("GET /v2/") != 1 {
		t.Errorf("pinged %d times, want once", srv.count("GET /v2/"))
	}
	for _, secret := range []string{"s3cret-pw", "tok:", "Authorization", base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pw"))} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "scope=repository:"+fakeGUN+":pull") {
		t.Errorf("debug log lacks the token request:\n%s", logs.String())
	}

	// Wrong password: the token service's 401 names the credentials' source.
	bad := writeDockerConfig(t, host, "alice", "not-it")
	_, err := fastClient(t, srv.URL, Options{Credentials: registry.DockerCredentials(bad, host), Transport: rt}).GetCurrent(ctx, "root", 0)
	wantMsg := `tried user "alice" from ` + filepath.Join(bad, "config.json") + " auth for " + host
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), wantMsg) || strings.Contains(err.Error(), "not-it") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestForbidden(t *testing.T) {
	srv, rt, _ := tokenFake(t, http.StatusForbidden)
	host := strings.TrimPrefix(srv.URL, "http://")
	docker := writeDockerConfig(t, host, "alice", "s3cret-pw")
	_, err := fastClient(t, srv.URL, Options{Credentials: registry.DockerCredentials(docker, host), Transport: rt}).GetCurrent(context.Background(), "root", 0)
	want := `DENIED: requested access to the resource is denied (tried user "alice" from ` + filepath.Join(docker, "config.json") + " auth for " + host + ")"
	if !errors.Is(err, ErrUnauthorized) || !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("403: %v\nwant suffix %s", err, want)
	}
	if srv.count("GET /v2/"+fakeGUN+"/_trust/tuf/root.json") != 1 {
		t.Error("a 403 must not be retried")
	}
}

func TestBasicAuth(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "u" || pass != "p:w" {
			w.Header().Set("WWW-Authenticate", `Basic realm="notary"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	host := strings.TrimPrefix(f.URL, "http://")
	creds, err := NotaryAuth(base64.StdEncoding.EncodeToString([]byte("u:p:w")), host)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fastClient(t, f.URL, Options{Credentials: creds}).GetCurrent(ctx, "root", 0); err != nil {
		t.Fatalf("basic auth: %v", err)
	}
	_, err = fastClient(t, f.URL, Options{}).GetCurrent(ctx, "root", 0)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "no credentials were given") {
		t.Fatalf("anonymous: %v", err)
	}
	wrong, _ := NotaryAuth(base64.StdEncoding.EncodeToString([]byte("u:nope")), host)
	_, err = fastClient(t, f.URL, Options{Credentials: wrong}).GetCurrent(ctx, "root", 0)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), `tried user "u" from NOTARY_AUTH`) {
		t.Fatalf("wrong NOTARY_AUTH: %v", err)
	}
	for _, v := range []string{"!!", base64.StdEncoding.EncodeToString([]byte("nocolon")), base64.StdEncoding.EncodeToString([]byte(":p"))} {
		if _, err := NotaryAuth(v, host); err == nil {
			t.Errorf("NotaryAuth(%q) accepted", v)
		}
	}

	neg := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", "Negotiate")
		w.WriteHeader(http.StatusUnauthorized)
	})
	if _, err := fastClient(t, neg.URL, Options{}).GetCurrent(ctx, "root", 0); err == nil || !strings.Contains(err.Error(), "unsupported kind") {
		t.Fatalf("Negotiate challenge: %v", err)
	}
}

// TestPublishWire checks the multipart request against the recorded notary upload
// (fixtures/experiments/wire/http.log).
func TestPublishWire(t *testing.T) {
	var got map[string][]byte
	var partHeaders []string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			t.Error(err)
			return
		}
		got = map[string][]byte{}
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(p)
			partHeaders = append(partHeaders, fmt.Sprintf("%s|%s", p.Header.Get("Content-Disposition"), p.Header.Get("Content-Type")))
			got[rawFileName(p)] = b
		}
	})
	files := map[string][]byte{"targets/releases": []byte(`{"signed":{}}`), "snapshot": []byte("s"), "root": []byte("r")}
	if err := fastClient(t, f.URL, Options{}).Publish(context.Background(), files); err != nil {
		t.Fatal(err)
	}
	for role, b := range files {
		if !bytes.Equal(got[role], b) {
			t.Errorf("part %s: %q", role, got[role])
		}
	}
	wire, err := os.ReadFile(filepath.Join(fixtureWire(), "http.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range partHeaders {
		disp, ctype, _ := strings.Cut(h, "|")
		if !bytes.Contains(wire, []byte("Content-Disposition: "+disp+"\r\nContent-Type: "+ctype)) &&
			!bytes.Contains(wire, []byte("Content-Disposition: "+disp+"\nContent-Type: "+ctype)) {
			t.Errorf("part header %q / %q not as notary sends it", disp, ctype)
		}
	}
}

// rawFileName is the filename as sent: mime/multipart's FileName() drops the
// directory, which is the notary-server bug this client's hint is about.
func rawFileName(p *multipart.Part) string {
	d := p.Header.Get("Content-Disposition")
	_, name, _ := strings.Cut(d, `filename="`)
	return strings.TrimSuffix(name, `"`)
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "ftp://h", "https://", "https://u:p@h", "https://h?x=1", "h:443"} {
		if _, err := New(u, fakeGUN, Options{}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	for _, g := range []string{"", "a/*", "a b", "a/../b", "a//b", "/a", "a?b", "a#b", "a%2f"} {
		if _, err := New("https://h", g, Options{}); err == nil {
			t.Errorf("GUN %q accepted", g)
		}
	}
	c := mustNew(t, "https://notary.example.com:4443/", "docker.io/library/nginx", Options{})
	if c.Insecure() || c.tufURL("root.json") != "https://notary.example.com:4443/v2/docker.io/library/nginx/_trust/tuf/root.json" {
		t.Errorf("URL %s", c.tufURL("root.json"))
	}

	// docker's rules for $DOCKER_CONFIG/tls/<host:port>/.
	p := testenv.NewPKI(t)
	docker := t.TempDir()
	dir := filepath.Join(docker, "tls", "notary.example.com:4443")
	os.MkdirAll(dir, 0o700)
	cert, key := p.Leaf(t, "client", 0)
	copyFile(t, cert, filepath.Join(dir, "client.cert"))
	if _, err := New("https://notary.example.com:4443", fakeGUN, Options{DockerConfigDir: docker}); err == nil || !strings.Contains(err.Error(), "missing key") {
		t.Fatalf("client.cert without client.key: %v", err)
	}
	copyFile(t, key, filepath.Join(dir, "client.key"))
	copyFile(t, p.CAFile, filepath.Join(dir, "ca.crt"))
	tc, err := registry.TLSConfig("notary.example.com:4443", registry.TLS{DockerConfigDir: docker, ClientCert: cert, ClientKey: key})
	if err != nil || len(tc.Certificates) != 2 || tc.RootCAs == nil {
		t.Fatalf("docker TLS dir: %v", err)
	}
	if _, err := New("https://h", fakeGUN, Options{ClientCert: cert}); err == nil {
		t.Error("client certificate without key accepted")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
