package client_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// proxy is a plain-http reverse proxy to the real server; fault, when set, answers
// the requests it matches instead.
type proxy struct {
	URL   string
	mu    sync.Mutex
	fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func newProxy(t *testing.T, e *env) *proxy {
	target, _ := url.Parse(e.srv.URL)
	ca, err := os.ReadFile(e.srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	p := &proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		f := p.fault
		p.mu.Unlock()
		if f == nil || !f(w, r, rp) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *proxy) set(f func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// on matches requests by method and path suffix.
func on(method, suffix string, f func(w http.ResponseWriter, r *http.Request, next http.Handler)) func(http.ResponseWriter, *http.Request, http.Handler) bool {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != method || !matchSuffix(r.URL.Path, suffix) {
			return false
		}
		f(w, r, next)
		return true
	}
}

// matchSuffix: "targets.*" matches a download of targets by hash.
func matchSuffix(p, suffix string) bool {
	if prefix, ok := strings.CutSuffix(suffix, "*"); ok {
		i := strings.LastIndex(p, "/")
		return strings.HasPrefix(p[i+1:], prefix) && strings.Count(p[i+1:], ".") == 2
	}
	return strings.HasSuffix(p, suffix)
}

func status(code int, body string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func dropConn(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

func delay(d time.Duration) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	}
}

// tamper flips a byte of the server's answer.
func tamper(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	b := rec.Body.Bytes()
	b[len(b)/2] ^= 1
	w.WriteHeader(rec.Code)
	w.Write(b)
}

// repoVia opens gun in trustDir through serverURL.
func (e *env) repoVia(t *testing.T, serverURL, trustDir, gun string, timeout time.Duration, pass func(string) string) *client.Repository {
	rc, err := server.New(serverURL, gun, server.Options{CAFile: e.srv.CAFile, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	dir := store.Dir{Root: trustDir}
	return client.New(dir, gun, keys.Open(dir, keys.NewPassphraseSource(pass, nil)), rc, client.Options{})
}

// tree reads every file under dir.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := tree(t, dir)
	if len(after) != len(before) {
		t.Fatalf("trust dir changed: %d files before, %d after", len(before), len(after))
	}
	for name, data := range before {
		if after[name] != data {
			t.Fatalf("trust dir changed: %s", name)
		}
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	gun := "127.0.0.1:5000/dev/faults"
	owner, ci := t.TempDir(), t.TempDir()
	direct := e.repo(owner, gun)
	if _, err := direct.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	viaCI := e.repoVia(t, p.URL, ci, gun, 2*time.Second, passphrases)
	if _, err := viaCI.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	// The server moves on; the CI cache is behind and must download snapshot and targets.
	if _, err := direct.Sign(ctx(t), []client.Target{{Name: "2.0", Digest: digest1, Size: 2}}, nil); err != nil {
		t.Fatal(err)
	}
	before := tree(t, ci)

	for _, tc := range []struct {
		name  string
		fault func(http.ResponseWriter, *http.Request, http.Handler) bool
		want  error
	}{
		{"500 on timestamp", on(http.MethodGet, "/timestamp.json", status(500, `{"errors":[{"code":"UNKNOWN","message":"Unknown error"}]}`)), server.ErrServerUnavailable},
		{"dropped snapshot download", on(http.MethodGet, "snapshot.*", dropConn), server.ErrServerUnavailable},
		{"slow targets download", on(http.MethodGet, "targets.*", delay(5*time.Second)), server.ErrServerUnavailable},
		{"tampered targets", on(http.MethodGet, "targets.*", tamper), tuf.ErrHashMismatch},
		{"401", on(http.MethodGet, "/timestamp.json", status(401, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)), server.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.set(tc.fault)
			defer p.set(nil)
			_, err := viaCI.Fetch(ctx(t))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			sameTree(t, ci, before)
		})
	}

	viaOwner := e.repoVia(t, p.URL, owner, gun, 2*time.Second, passphrases)
	ownerBefore := tree(t, owner)
	for _, tc := range []struct {
		name  string
		fault func(http.ResponseWriter, *http.Request, http.Handler) bool
		want  string
	}{
		{"publish 500", on(http.MethodPost, "/_trust/tuf/", status(500, `{"errors":[{"code":"UPDATING","message":"the update was not stored"}]}`)), "UPDATING"},
		{"publish 400", on(http.MethodPost, "/_trust/tuf/", status(400, `{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadTargets","Error":{"Msg":"valid signatures did not meet threshold for targets"}}}]}`)),
			"INVALID_UPDATE: Update sent by the client is invalid: ErrBadTargets: valid signatures did not meet threshold for targets"},
		{"publish dropped", on(http.MethodPost, "/_trust/tuf/", dropConn), "notary server unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.set(tc.fault)
			defer p.set(nil)
			_, err := viaOwner.Sign(ctx(t), []client.Target{{Name: "3.0", Digest: digest1, Size: 3}}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			sameTree(t, owner, ownerBefore)
		})
	}

	// Without faults everything goes through, and the failed publishes left nothing.
	meta, err := viaCI.Fetch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := meta.Targets.Signed.Targets
	if _, ok := got["2.0"]; !ok || len(got) != 2 {
		t.Fatalf("targets after the faults: %v", got)
	}
}

func TestPlainHTTPServer(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	gun := "127.0.0.1:5000/dev/http"
	r := e.repoVia(t, p.URL, t.TempDir(), gun, 10*time.Second, passphrases)
	if _, err := r.Init(ctx(t), client.InitOptions{LocalSnapshot: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	out := e.notary(t.TempDir(), "list", gun)
	if !strings.Contains(out, "1.0") {
		t.Fatalf("notary list:\n%s", out)
	}
}

func TestKeyErrors(t *testing.T) {
	e := newEnv(t)
	gun := "127.0.0.1:5000/dev/keys"
	owner := t.TempDir()
	r := e.repo(owner, gun)
	k, err := r.Init(ctx(t), client.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}

	// A wrong passphrase names the key and its role.
	wrong := e.repoVia(t, e.srv.URL, owner, gun, 10*time.Second, func(string) string { return "wrong-passphrase" })
	_, err = wrong.Sign(ctx(t), target, nil)
	if !errors.Is(err, keys.ErrWrongPassphrase) || !strings.Contains(err.Error(), k.Targets) || !strings.Contains(err.Error(), "targets") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// A trust dir without the key says which one and how to import it.
	_, err = e.repo(t.TempDir(), gun).Sign(ctx(t), target, nil)
	if !errors.Is(err, keys.ErrKeyNotFound) || !strings.Contains(err.Error(), k.Targets) ||
		!strings.Contains(err.Error(), "trustctl key import KEYFILE --role targets --gun "+gun) {
		t.Fatalf("missing key: %v", err)
	}
	// Nothing is signed for a role that does not exist.
	if _, err := r.Sign(ctx(t), target, []string{"targets/nope"}); err == nil || !strings.Contains(err.Error(), "targets/nope does not exist") {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestLock(t *testing.T) {
	e := newEnv(t)
	gun := "127.0.0.1:5000/dev/lock"
	dir := t.TempDir()
	r := e.repo(dir, gun)
	if _, err := r.Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	unlock, err := store.Dir{Root: dir}.Lock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, nil)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("sign ran while another process held the lock: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestInitResumes: an init whose publish failed is published by the next init, with the
// same keys.
func TestInitResumes(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	gun := "127.0.0.1:5000/dev/resume"
	dir := t.TempDir()
	r := e.repoVia(t, p.URL, dir, gun, 5*time.Second, passphrases)
	p.set(on(http.MethodPost, "/_trust/tuf/", status(503, "maintenance")))
	first, err := r.Init(ctx(t), client.InitOptions{})
	if !errors.Is(err, server.ErrServerUnavailable) {
		t.Fatalf("init through a failing server: %v", err)
	}
	p.set(nil)
	again, err := r.Init(ctx(t), client.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Fatalf("keys changed: %+v, then %+v", first, again)
	}
	if _, err := r.Sign(ctx(t), []client.Target{{Name: "1.0", Digest: digest1, Size: 1}}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPublish: two clients with the same keys sign at the same time; the one
// the server refuses as not newer signs again on top of the other's publish.
func TestConcurrentPublish(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	gun := "127.0.0.1:5000/dev/race"
	first := t.TempDir()
	if _, err := e.repo(first, gun).Init(ctx(t), client.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	second := testenv.CopyDir(t, first)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.Method != http.MethodPost {
			return false
		}
		once.Do(func() {
			close(arrived)
			<-release
		})
		next.ServeHTTP(w, r)
		return true
	})
	done := make(chan error)
	go func() {
		_, err := e.repoVia(t, p.URL, first, gun, time.Minute, passphrases).Sign(ctx(t), []client.Target{{Name: "a", Digest: digest1, Size: 1}}, nil)
		done <- err
	}()
	<-arrived
	if _, err := e.repo(second, gun).Sign(ctx(t), []client.Target{{Name: "b", Digest: digest1, Size: 2}}, nil); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	meta, err := e.repo(t.TempDir(), gun).Fetch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := meta.Targets.Signed.Targets; len(got) != 2 {
		t.Fatalf("targets %v, want a and b", got)
	}
}
