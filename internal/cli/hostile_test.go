package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dockerconfig "github.com/docker/cli/cli/config"

	"github.com/trustctl/trustctl/internal/testenv"
)

// hostilePKI issues the certificates of the hostile servers. Its CA is trusted through
// SSL_CERT_FILE, as Go reads the system roots once per process: the old registry
// client, which trusted only those, must reach the servers for the tests to fail on it.
var hostilePKI *testenv.PKI

// mainTB is the part of testing.TB that testenv.NewPKI uses, for TestMain.
type mainTB struct {
	testing.TB
	dir string
}

func (mainTB) Helper()                      {}
func (m mainTB) TempDir() string            { return m.dir }
func (mainTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (mainTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trustctl-cli-test")
	if err != nil {
		panic(err)
	}
	hostilePKI = testenv.NewPKI(mainTB{dir: dir})
	os.Setenv("SSL_CERT_FILE", hostilePKI.CAFile)
	// docker's package reads DOCKER_CONFIG once: one directory for the process, whose
	// config.json each test writes.
	os.Setenv("DOCKER_CONFIG", filepath.Join(dir, "docker"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	notaryUser, notarySecret = "ci", "notary-push-secret"
	regUser, regSecret       = "dev", "registry-secret"
)

var (
	notaryAuth = base64.StdEncoding.EncodeToString([]byte(notaryUser + ":" + notarySecret))
	regAuth    = base64.StdEncoding.EncodeToString([]byte(regUser + ":" + regSecret))
)

// dockerLogin writes config.json with the credential of registry host.
func dockerLogin(t *testing.T, host string) {
	t.Helper()
	dir := dockerconfig.Dir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, regAuth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(filepath.Join(dir, "config.json")) })
}

// runCLI runs trustctl in process with env as its only environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return env[k] })
	return code, errb.String()
}

// challenger answers every request with a 401 carrying challenge.
func challenger(challenge string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", challenge)
		w.WriteHeader(http.StatusUnauthorized)
	}
}

// tokenService grants "tok" to anyone.
func tokenService(w http.ResponseWriter, r *http.Request) {
	fmt.Fprint(w, `{"token":"tok","expires_in":300}`)
}

// sawOnly checks which servers received the credential whose base64 is b64.
func sawOnly(t *testing.T, hs *testenv.Hostile, what, b64 string, want ...string) {
	t.Helper()
	got := hs.Authorized(b64)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s was sent to %q, want only %q; requests:\n%s", what, got, want, seenText(hs))
	}
}

func seenText(hs *testenv.Hostile) string {
	var b strings.Builder
	for _, s := range hs.Seen() {
		fmt.Fprintf(&b, "  %s %s %s%s auth=%q\n", s.Server, s.Method, s.Host, s.Path, s.Authorization)
	}
	return b.String()
}

// TestFetchCredentials: a stack file names the registry, and so the guessed notary
// server; NOTARY_AUTH goes only to a server named with --server, and only to its host.
func TestFetchCredentials(t *testing.T) {
	tests := []struct {
		name string
		// explicit names the notary server with --server.
		explicit bool
		// challenge is the notary server's, %s the realm server's URL.
		challenge string
		realmTLS  bool
		realmHost string // "" = 127.0.0.1
		// want are the servers that may see NOTARY_AUTH.
		want []string
	}{
		{name: "guessed server basic", challenge: `Basic realm="notary"`},
		{name: "guessed server token realm elsewhere", challenge: `Bearer realm="%s/token",service="notary"`, realmTLS: true, realmHost: "localhost"},
		{name: "named server basic", explicit: true, challenge: `Basic realm="notary"`, want: []string{"notary"}},
		{name: "named server token realm on another host", explicit: true, challenge: `Bearer realm="%s/token",service="notary"`, realmTLS: true, realmHost: "localhost"},
		{name: "named server plain http token realm", explicit: true, challenge: `Bearer realm="%s/token",service="notary"`},
		{name: "named server https token realm on its host", explicit: true, challenge: `Bearer realm="%s/token",service="notary"`, realmTLS: true, want: []string{"realm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := &testenv.Hostile{PKI: hostilePKI}
			realm := hs.Serve(t, "realm", tt.realmTLS, tokenService)
			realmURL := realm.URL
			if tt.realmHost != "" {
				realmURL = strings.Replace(realmURL, "127.0.0.1", tt.realmHost, 1)
			}
			challenge := tt.challenge
			if strings.Contains(challenge, "%s") {
				challenge = fmt.Sprintf(challenge, realmURL)
			}
			// The image's registry: the guessed notary server unless --server names one.
			registry := hs.Serve(t, "registry", true, challenger(challenge))
			args := []string{"fetch", "-d", t.TempDir(), "--tlscacert", hostilePKI.CAFile}
			if tt.explicit {
				notary := hs.Serve(t, "notary", true, challenger(challenge))
				args = append(args, "--server", notary.URL)
			}
			stack := filepath.Join(t.TempDir(), "compose.yaml")
			os.WriteFile(stack, []byte("services:\n  app:\n    image: "+registry.Host+"/x/y:1\n"), 0o600)
			code, stderr := runCLI(t, map[string]string{"NOTARY_AUTH": notaryAuth}, append(args, "-f", stack)...)
			if code == 0 {
				t.Fatalf("fetch from a hostile server passed:\n%s", stderr)
			}
			sawOnly(t, hs, "NOTARY_AUTH", notaryAuth, tt.want...)
		})
	}
}

// TestSignCredentials: sign reads the tag's digest from the registry with docker's
// credential of that registry only, never NOTARY_AUTH, and presents it to a token
// service only over https on the registry's host.
func TestSignCredentials(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		realmTLS  bool
		realmHost string
		// redirect sends the authorised manifest request to another server: "port" the
		// same host on another port, "host" another host name, "http" plain http.
		redirect string
		// wantReg are the servers that may see the registry credential.
		wantReg []string
	}{
		{name: "basic", challenge: `Basic realm="registry"`, wantReg: []string{"registry"}},
		{name: "plain http token realm", challenge: `Bearer realm="%s/token",service="registry"`},
		{name: "token realm on another host", challenge: `Bearer realm="%s/token",service="registry"`, realmTLS: true, realmHost: "localhost"},
		{name: "https token realm on the registry's host", challenge: `Bearer realm="%s/token",service="registry"`, realmTLS: true, wantReg: []string{"realm"}},
		{name: "redirect to another port", challenge: `Basic realm="registry"`, redirect: "port", wantReg: []string{"registry"}},
		{name: "redirect to plain http", challenge: `Basic realm="registry"`, redirect: "http", wantReg: []string{"registry"}},
		{name: "redirect to another host", challenge: `Basic realm="registry"`, redirect: "host", wantReg: []string{"registry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := &testenv.Hostile{PKI: hostilePKI}
			realm := hs.Serve(t, "realm", tt.realmTLS, tokenService)
			realmURL := realm.URL
			if tt.realmHost != "" {
				realmURL = strings.Replace(realmURL, "127.0.0.1", tt.realmHost, 1)
			}
			challenge := tt.challenge
			if strings.Contains(challenge, "%s") {
				challenge = fmt.Sprintf(challenge, realmURL)
			}
			other := hs.Serve(t, "other", tt.redirect != "http", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				fmt.Fprint(w, `{"schemaVersion":2}`)
			})
			ask := challenger(challenge)
			registry := hs.Serve(t, "registry", true, func(w http.ResponseWriter, r *http.Request) {
				if tt.redirect != "" && r.Header.Get("Authorization") != "" && strings.Contains(r.URL.Path, "/manifests/") {
					target := other.URL
					if tt.redirect == "host" {
						target = strings.Replace(target, "127.0.0.1", "localhost", 1)
					}
					http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
					return
				}
				ask(w, r)
			})
			notary := hs.Serve(t, "notary", true, challenger(`Basic realm="notary"`))
			dockerLogin(t, registry.Host)
			code, stderr := runCLI(t, map[string]string{"NOTARY_AUTH": notaryAuth},
				"sign", "-d", t.TempDir(), "--server", notary.URL, registry.Host+"/x/y:1")
			if code == 0 {
				t.Fatalf("sign against hostile servers passed:\n%s", stderr)
			}
			if tt.redirect == "http" && !strings.Contains(stderr, "refusing the redirect") {
				t.Errorf("redirect to http: %s", stderr)
			}
			// The named notary server, reached once the digest is known, may get it.
			if got := slices.DeleteFunc(hs.Authorized(notaryAuth), func(s string) bool { return s == "notary" }); len(got) > 0 {
				t.Errorf("NOTARY_AUTH was sent to %q; requests:\n%s", got, seenText(hs))
			}
			sawOnly(t, hs, "the registry credential", regAuth, tt.wantReg...)
			for _, s := range hs.Seen() {
				if s.Server == "other" && (s.Authorization != "" || tt.redirect == "http") {
					t.Errorf("the redirect target got %s %s with Authorization %q", s.Method, s.Path, s.Authorization)
				}
			}
		})
	}
}

// TestTokenAuthEndToEnd is the positive path on the real parts: a notary-server with
// token auth, named with --server, gets NOTARY_AUTH through its https token service on
// its host; sign reads the digest from the real registry; fetch and list read it back.
func TestTokenAuthEndToEnd(t *testing.T) {
	var tokens *testenv.TokenService
	ns := testenv.StartServerWith(t, testenv.ServerOptions{Auth: func(p *testenv.PKI) map[string]any {
		tokens = testenv.NewTokenService(t, p)
		return tokens.AuthOptions()
	}})
	reg := testenv.StartRegistry(t)
	img := reg.Push(t, "dev/app", "1.0")
	gun := reg.Host + "/dev/app"
	env := map[string]string{
		"NOTARY_AUTH":                 base64.StdEncoding.EncodeToString([]byte("alice:alice-secret")),
		"NOTARY_ROOT_PASSPHRASE":      "root passphrase",
		"NOTARY_TARGETS_PASSPHRASE":   "targets passphrase",
		"NOTARY_SNAPSHOT_PASSPHRASE":  "snapshot passphrase",
		"DOCKER_CONTENT_TRUST_SERVER": ns.URL,
	}
	dir := t.TempDir()
	if code, stderr := runCLI(t, env, "sign", "--init", "-d", dir, "--tlscacert", ns.CAFile, gun+":1.0"); code != 0 {
		t.Fatalf("sign: exit %d: %s", code, stderr)
	}
	if code, stderr := runCLI(t, env, "fetch", "-d", t.TempDir(), "--tlscacert", ns.CAFile, gun); code != 0 {
		t.Fatalf("fetch: exit %d: %s", code, stderr)
	}
	// with a server named, list fetches first, through the same token service
	code, out := runCLIOut(t, env, "list", "-d", dir, "--tlscacert", ns.CAFile, gun)
	if code != 0 || !strings.Contains(out, strings.TrimPrefix(img.Digest, "sha256:")) {
		t.Fatalf("list: exit %d: %s", code, out)
	}
	if len(tokens.Requests("alice")) == 0 || len(tokens.Requests("")) != 0 {
		t.Errorf("token requests: alice %q, anonymous %q", tokens.Requests("alice"), tokens.Requests(""))
	}
}

// runCLIOut is runCLI returning stdout.
func runCLIOut(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &out}, func(k string) string { return env[k] })
	return code, out.String()
}
