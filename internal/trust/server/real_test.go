package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// TestRealServer builds a repository with the reference notary CLI on notary-server-fixed
// and checks that every download returns the bytes notary cached, that publishing
// (including a delegation) and the server-managed keys work, and that faults injected
// by a proxy in front of the real server are retried.
func TestRealServer(t *testing.T) {
	ns := testenv.StartServerWith(t, testenv.ServerOptions{Binary: "notary-server-fixed"})
	ctx := context.Background()
	const gun = "127.0.0.1:5000/dev/app"
	c := mustNew(t, ns.URL, gun, Options{CAFile: ns.CAFile})

	t.Run("missing GUN", func(t *testing.T) {
		_, err := c.GetCurrent(ctx, "root", 0)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), ns.URL+" does not have trust data for "+gun) {
			t.Fatalf("GetCurrent(root) of a missing GUN: %v", err)
		}
		var se *Error
		if !errors.As(err, &se) || se.Code != "METADATA_NOT_FOUND" {
			t.Fatalf("not the server's typed error: %#v", err)
		}
		if _, err := c.GetCurrent(ctx, "timestamp", MaxTimestampSize); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetCurrent(timestamp): %v", err)
		}
	})

	// The repository as the notary CLI makes it: targets, a server-managed snapshot
	// and a targets/releases delegation signed by alice's key.
	dir := t.TempDir()
	users := filepath.Join(testenv.Fixtures(), "users")
	target := filepath.Join(dir, "manifest.json")
	os.WriteFile(target, []byte(`{"schemaVersion":2}`), 0o600)
	notaryCLI(t, ns, dir, "init", gun, "-p")
	notaryCLI(t, ns, dir, "add", gun, "v1", target, "-p")
	notaryCLI(t, ns, dir, "key", "rotate", gun, "snapshot", "-r")
	notaryCLI(t, ns, dir, "delegation", "add", gun, "targets/releases", "--all-paths", filepath.Join(users, "alice", "cert.pem"), "-p")
	notaryCLI(t, ns, dir, "key", "import", filepath.Join(users, "alice", "key.pem"), "--role", "alice")
	notaryCLI(t, ns, dir, "add", gun, "rel1", target, "--roles", "targets/releases", "-p")
	notaryCLI(t, ns, dir, "list", gun) // caches the current timestamp and snapshot
	cached := func(role string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "tuf", filepath.FromSlash(gun), "metadata", role+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("GetCurrent", func(t *testing.T) {
		for _, role := range []string{"root", "targets", "snapshot", "timestamp", "targets/releases"} {
			got, err := c.GetCurrent(ctx, role, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, cached(role)) {
				t.Errorf("%s: server bytes differ from notary's cache", role)
			}
		}
		if _, err := c.GetCurrent(ctx, "root", 100); !errors.Is(err, ErrTooLarge) {
			t.Errorf("root.json over a 100-byte limit: %v", err)
		}
	})

	t.Run("GetByChecksum", func(t *testing.T) {
		for _, role := range []string{"root", "snapshot", "targets", "targets/releases"} {
			want := cached(role)
			sum := sha256.Sum256(want)
			got, err := c.GetByChecksum(ctx, role, hex.EncodeToString(sum[:]), int64(len(want)))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s by checksum: %v", role, err)
			}
			if _, err := c.GetByChecksum(ctx, role, hex.EncodeToString(sum[:]), int64(len(want)-1)); !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s longer than expected: %v", role, err)
			}
		}
		if _, err := c.GetByChecksum(ctx, "snapshot", strings.Repeat("0", 64), 10); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown checksum: %v", err)
		}
	})

	t.Run("GetByVersion", func(t *testing.T) {
		root := cached("root")
		v := version(t, root)
		if v < 2 {
			t.Fatalf("root version %d: the snapshot rotation should have made 2", v)
		}
		got, err := c.GetByVersion(ctx, "root", v, 0)
		if err != nil || !bytes.Equal(got, root) {
			t.Fatalf("root version %d: %v", v, err)
		}
		old, err := c.GetByVersion(ctx, "root", v-1, 0)
		if err != nil || version(t, old) != v-1 {
			t.Fatalf("root version %d: %v", v-1, err)
		}
		rel := cached("targets/releases")
		if got, err := c.GetByVersion(ctx, "targets/releases", version(t, rel), 0); err != nil || !bytes.Equal(got, rel) {
			t.Fatalf("targets/releases by version: %v", err)
		}
		if _, err := c.GetByVersion(ctx, "targets", 99, 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown version: %v", err)
		}
	})

	t.Run("GetKey is the snapshot key of root", func(t *testing.T) {
		var root struct {
			Signed struct {
				Keys  map[string]tuf.PublicKey
				Roles map[string]struct{ KeyIDs []string }
			}
		}
		if err := json.Unmarshal(cached("root"), &root); err != nil {
			t.Fatal(err)
		}
		k, err := c.GetKey(ctx, "snapshot")
		if err != nil {
			t.Fatal(err)
		}
		if ids := root.Signed.Roles["snapshot"].KeyIDs; len(ids) != 1 || k.ID() != ids[0] || k.Type != tuf.KeyTypeECDSA {
			t.Fatalf("server snapshot key %s (%s), root lists %v", k.ID(), k.Type, ids)
		}
	})

	t.Run("re-publish is a typed VERSION error", func(t *testing.T) {
		err := c.Publish(ctx, map[string][]byte{"targets": cached("targets")})
		var se *Error
		if !errors.As(err, &se) || se.Status != 400 || se.Code != "VERSION" {
			t.Fatalf("want 400 VERSION, got %v", err)
		}
		for _, want := range []string{"notary server rejected the update of " + gun + " (targets)", "VERSION: A newer version of metadata is already available", "not newer than the stored one"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q lacks %q", err, want)
			}
		}
	})

	t.Run("faults behind a proxy", func(t *testing.T) {
		proxy, faults := faultProxy(t, ns)
		pc := mustNew(t, proxy, gun, Options{})
		pc.ep.SetBackoff([]time.Duration{time.Millisecond, time.Millisecond, time.Millisecond})
		if !pc.Insecure() || c.Insecure() {
			t.Fatal("Insecure() should follow the URL scheme")
		}

		faults.set("/timestamp.json", fail500, fail500)
		got, err := pc.GetCurrent(ctx, "timestamp", MaxTimestampSize)
		if err != nil || !bytes.Equal(got, cached("timestamp")) {
			t.Fatalf("500 twice then success: %v", err)
		}
		faults.set("/targets.json", drop)
		if got, err := pc.GetCurrent(ctx, "targets", 0); err != nil || !bytes.Equal(got, cached("targets")) {
			t.Fatalf("dropped connection then success: %v", err)
		}
		faults.set("/root.json", fail500, fail500, fail500, fail500, fail500)
		_, err = pc.GetCurrent(ctx, "root", 0)
		if !errors.Is(err, ErrServerUnavailable) || !strings.Contains(err.Error(), "(4 attempts)") || faults.hits("/root.json") != 4 {
			t.Fatalf("500 forever: %d requests, %v", faults.hits("/root.json"), err)
		}
		faults.set("/_trust/tuf/", fail500)
		err = pc.Publish(ctx, map[string][]byte{"targets": cached("targets")})
		if !errors.Is(err, ErrServerUnavailable) || faults.hits("/_trust/tuf/") != 1 {
			t.Fatalf("publish after 500: %d requests, %v", faults.hits("/_trust/tuf/"), err)
		}
		// A body longer than the limit, sent without Content-Length.
		faults.set("/snapshot.json", chunked)
		if _, err := pc.GetCurrent(ctx, "snapshot", int64(len(cached("snapshot"))-1)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("chunked body over the limit: %v", err)
		}
	})

	t.Run("publish a delegation", func(t *testing.T) {
		next := resign(t, cached("targets/releases"), filepath.Join(users, "alice", "key.pem"))
		if err := c.Publish(ctx, map[string][]byte{"targets/releases": next}); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetCurrent(ctx, "targets/releases", 0)
		if err != nil || !bytes.Equal(got, next) {
			t.Fatalf("published delegation not served back: %v", err)
		}
		// The server logs the GUN and role of each stored update.
		if !strings.Contains(ns.Log(t), "targets/releases") {
			t.Error("server log does not mention targets/releases")
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := c.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetCurrent(ctx, "root", 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("root after delete: %v", err)
		}
	})
}

// TestStockServer runs the unpatched notary-server v0.7.0: server-managed keys, the
// delegation upload bug and TLS trust.
func TestStockServer(t *testing.T) {
	ns := testenv.StartServerWith(t, testenv.ServerOptions{Binary: "notary-server"})
	ctx := context.Background()
	const gun = "127.0.0.1:5000/dev/keys"
	c := mustNew(t, ns.URL, gun, Options{CAFile: ns.CAFile})

	t.Run("GetKey and RotateKey", func(t *testing.T) {
		k1, err := c.GetKey(ctx, "timestamp")
		if err != nil {
			t.Fatal(err)
		}
		k2, err := c.GetKey(ctx, "timestamp")
		if err != nil {
			t.Fatal(err)
		}
		k3, err := c.RotateKey(ctx, "snapshot")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []tuf.PublicKey{k1, k2, k3} {
			if k.Type != tuf.KeyTypeECDSA {
				t.Fatalf("key type %q", k.Type)
			}
			if _, err := k.CryptoPublicKey(); err != nil {
				t.Fatal(err)
			}
		}
		// Without a published root every GET creates a key (SPEC 5.1).
		if k1.ID() == k2.ID() {
			t.Error("two GETs of timestamp.key on a new GUN returned the same key")
		}
		if _, err := c.GetKey(ctx, "targets"); err == nil {
			t.Error("GetKey(targets) should be refused locally")
		}
	})

	t.Run("delegation upload hint", func(t *testing.T) {
		rel, err := os.ReadFile(filepath.Join(testenv.Fixtures(), "trust-admin", "tuf", "127.0.0.1:5000", "dev", "nginx", "metadata", "targets", "releases.json"))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Publish(ctx, map[string][]byte{"targets/releases": rel})
		var se *Error
		if !errors.As(err, &se) || se.Code != "INVALID_ROLE" || string(se.Detail) != `"releases"` || se.Hint == "" {
			t.Fatalf("want INVALID_ROLE \"releases\" with a hint, got %v", err)
		}
		if !strings.Contains(err.Error(), `INVALID_ROLE: The role you are attempting to operate on is invalid: "releases"; the server cut the role name "targets/releases" to "releases"`) ||
			!strings.Contains(err.Error(), "notary#1635") {
			t.Errorf("message: %v", err)
		}
	})

	t.Run("TLS", func(t *testing.T) {
		other := testenv.NewPKI(t)
		_, err := mustNew(t, ns.URL, gun, Options{CAFile: other.CAFile}).GetCurrent(ctx, "root", 0)
		if err == nil || errors.Is(err, ErrServerUnavailable) || !strings.Contains(err.Error(), "certificate signed by unknown authority") ||
			!strings.Contains(err.Error(), "--tlscacert") {
			t.Fatalf("wrong CA: %v", err)
		}
		_, err = mustNew(t, ns.URL, gun, Options{}).GetCurrent(ctx, "root", 0)
		if err == nil || !strings.Contains(err.Error(), "unknown authority") {
			t.Fatalf("no CA: %v", err)
		}

		docker := t.TempDir()
		host := strings.TrimPrefix(ns.URL, "https://")
		os.MkdirAll(filepath.Join(docker, "tls", host), 0o700)
		ca, _ := os.ReadFile(ns.CAFile)
		os.WriteFile(filepath.Join(docker, "tls", host, "ca.crt"), ca, 0o600)
		if _, err := mustNew(t, ns.URL, gun, Options{DockerConfigDir: docker}).GetCurrent(ctx, "root", 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("CA from $DOCKER_CONFIG/tls/%s/ca.crt: %v", host, err)
		}
		if _, err := mustNew(t, ns.URL, gun, Options{SkipTLSVerify: true}).GetCurrent(ctx, "root", 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SkipTLSVerify: %v", err)
		}
	})
}

// TestTokenAuthRealServer runs notary-server with docker/distribution token auth and a
// token service written here: the server's challenge, the scopes it demands per
// operation and the credentials read from a docker config.json.
func TestTokenAuthRealServer(t *testing.T) {
	const gun = "registry.example.com/dev/app"
	var tokens *testenv.TokenService
	ns := testenv.StartServerWith(t, testenv.ServerOptions{Binary: "notary-server", Auth: func(p *testenv.PKI) map[string]any {
		tokens = testenv.NewTokenService(t, p)
		return tokens.AuthOptions()
	}})
	ctx := context.Background()
	host := strings.TrimPrefix(ns.URL, "https://")
	client := func(user, pass string) *Client {
		// The registry is on the notary server's host: its credential may go to the
		// token service there.
		dockerDir := writeDockerConfig(t, host, user, pass)
		return mustNew(t, ns.URL, gun, Options{CAFile: ns.CAFile, Credentials: registry.DockerCredentials(dockerDir, host)})
	}

	anon := mustNew(t, ns.URL, gun, Options{CAFile: ns.CAFile})
	if _, err := anon.GetCurrent(ctx, "root", 0); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "no credentials were given") {
		t.Fatalf("anonymous read: %v", err)
	}

	alice := client("alice", "alice-secret")
	if _, err := alice.GetCurrent(ctx, "root", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("alice read (the server answers 404 once authorised): %v", err)
	}
	if _, err := alice.GetKey(ctx, "timestamp"); err != nil {
		t.Fatalf("alice GetKey: %v", err)
	}
	if _, err := alice.RotateKey(ctx, "timestamp"); err != nil {
		t.Fatalf("alice RotateKey: %v", err)
	}
	if _, err := alice.GetCurrent(ctx, "targets", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("alice second read: %v", err)
	}
	want := []string{"alice repository:" + gun + ":pull", "alice repository:" + gun + ":push,pull", "alice repository:" + gun + ":*"}
	if got := tokens.Requests("alice"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("token requests (one per scope, then cached):\n got %q\nwant %q", got, want)
	}

	bob := client("bob", "bob-secret") // the token service grants bob pull only
	_, err := bob.GetKey(ctx, "timestamp")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), `tried user "bob" from `) ||
		!strings.Contains(err.Error(), "config.json auth for "+host) || strings.Contains(err.Error(), "bob-secret") {
		t.Fatalf("bob push: %v", err)
	}

	_, err = client("alice", "wrong").GetCurrent(ctx, "root", 0)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "token service") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad password: %v", err)
	}
}

func writeDockerConfig(t *testing.T, host, user, pass string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}}}
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// resign returns the delegation file with its version incremented, signed again with
// the ECDSA key in keyFile as notary signs: raw r||s over the canonical "signed".
func resign(t *testing.T, file []byte, keyFile string) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.UseNumber()
	var env struct {
		Signed     map[string]any `json:"signed"`
		Signatures []struct {
			KeyID string `json:"keyid"`
		} `json:"signatures"`
	}
	if err := dec.Decode(&env); err != nil || len(env.Signatures) != 1 {
		t.Fatalf("delegation file: %v", err)
	}
	env.Signed["version"] = json.Number(strconv.Itoa(version(t, file) + 1))
	canonical, err := cjson.EncodeCanonical(env.Signed)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := os.ReadFile(keyFile)
	block, _ := pem.Decode(keyPEM)
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(canonical)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return must(json.Marshal(map[string]any{
		"signed":     json.RawMessage(canonical),
		"signatures": []map[string]string{{"keyid": env.Signatures[0].KeyID, "method": "ecdsa", "sig": base64.StdEncoding.EncodeToString(sig)}},
	}))
}

func version(t *testing.T, file []byte) int {
	t.Helper()
	var v struct{ Signed struct{ Version int } }
	if err := json.Unmarshal(file, &v); err != nil {
		t.Fatal(err)
	}
	return v.Signed.Version
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustNew(t testing.TB, serverURL, gun string, o Options) *Client {
	t.Helper()
	c, err := New(serverURL, gun, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fault answers one request instead of the server.
type fault func(w http.ResponseWriter, r *http.Request, next http.Handler)

func fail500(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(`{"errors":[{"code":"UNKNOWN","message":"Unknown error"}]}`))
}

func drop(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// chunked forwards the answer without its Content-Length.
func chunked(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes()[:1])
	w.(http.Flusher).Flush()
	w.Write(rec.Body.Bytes()[1:])
}

type faults struct {
	mu    chan struct{}
	queue map[string][]fault
	count map[string]*atomic.Int32
}

// set queues faults for the next requests whose path ends in suffix and resets its count.
func (f *faults) set(suffix string, fs ...fault) {
	f.mu <- struct{}{}
	defer func() { <-f.mu }()
	f.queue[suffix] = fs
	f.count[suffix] = new(atomic.Int32)
}

func (f *faults) hits(suffix string) int { return int(f.count[suffix].Load()) }

// faultProxy is a plain-http reverse proxy to the real server that injects faults.
func faultProxy(t *testing.T, ns *testenv.Server) (string, *faults) {
	target, _ := url.Parse(ns.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	tc, err := registry.TLSConfig("", registry.TLS{CAFile: ns.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	rp.Transport = &http.Transport{TLSClientConfig: tc}
	f := &faults{mu: make(chan struct{}, 1), queue: map[string][]fault{}, count: map[string]*atomic.Int32{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var next fault
		f.mu <- struct{}{}
		for suffix, q := range f.queue {
			if strings.HasSuffix(r.URL.Path, suffix) {
				f.count[suffix].Add(1)
				if len(q) > 0 {
					next, f.queue[suffix] = q[0], q[1:]
				}
			}
		}
		<-f.mu
		if next != nil {
			next(w, r, rp)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, f
}

// notaryCLI runs the reference notary client against ns with trust dir dir.
func notaryCLI(t testing.TB, ns *testenv.Server, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"-s", ns.URL, "-d", dir, "--tlscacert", ns.CAFile}, args...)
	cmd := exec.CommandContext(ctx, testenv.RefBin(t, "notary"), full...)
	cmd.Env = append(os.Environ(),
		"NOTARY_ROOT_PASSPHRASE=test-passphrase", "NOTARY_TARGETS_PASSPHRASE=test-passphrase",
		"NOTARY_SNAPSHOT_PASSPHRASE=test-passphrase", "NOTARY_DELEGATION_PASSPHRASE=test-passphrase")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("notary %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
