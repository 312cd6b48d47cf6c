package bundle

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
)

const (
	aliceID = "3bedec58b0d2f06d74aeb9af56b151219c58cc33d1852ea7892696efbce87d77"
	bobID   = "ab10d8615b7ef7575c62e689512ec35bb525aa099a320b6709672fb7a058fd62"
)

// envSH looks like UCP's env.sh, plus lines a shell would run and we must not.
const envSH = `export DOCKER_TLS_VERIFY=1
export COMPOSE_TLS_VERSION=TLSv1_2
export DOCKER_CERT_PATH=$PWD
export DOCKER_HOST=tcp://ucp.example.com:443
# Run this command from within this directory to configure the shell:
# eval "$(<env.sh)"
if kubectl >/dev/null 2>&1; then
    unset KUBERNETES_SERVICE_HOST
    export KUBECONFIG="$PWD/kube.yml"
fi
export QUOTED='single quoted' # comment
export INJECT=$(touch /tmp/pwned);rm -rf /
export SEMI=value;touch /tmp/pwned
export UNTERMINATED="oops
DOCKER_HOST=tcp://evil:443
export 1BAD=x
exported FOO=bar
rm -rf / # export EVIL=1
`

var wantEnv = map[string]string{
	"DOCKER_TLS_VERIFY":   "1",
	"COMPOSE_TLS_VERSION": "TLSv1_2",
	"DOCKER_CERT_PATH":    "$PWD",
	"DOCKER_HOST":         "tcp://ucp.example.com:443",
	"KUBECONFIG":          "$PWD/kube.yml",
	"QUOTED":              "single quoted",
	"INJECT":              "$",
	"SEMI":                "value",
}

// userFiles returns a fixture user's bundle files with an env.sh.
func userFiles(t testing.TB, user string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{"env.sh": []byte(envSH)}
	for _, name := range []string{"cert.pem", "key.pem", "ca.pem", "cert.pub"} {
		data, err := os.ReadFile(filepath.Join(testenv.Fixtures(), "users", user, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	return files
}

func writeFolder(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func zipBytes(t testing.TB, prefix string, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeZip(t testing.TB, prefix string, files map[string][]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ucp-bundle.zip")
	if err := os.WriteFile(p, zipBytes(t, prefix, files), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpen(t *testing.T) {
	tests := []struct {
		user, wantID string
		wantTeams    []string
	}{
		{"alice", aliceID, []string{"team-alice"}},
		{"bob", bobID, []string{"team-bob"}},
	}
	for _, tt := range tests {
		files := userFiles(t, tt.user)
		layouts := map[string]string{
			"folder":             writeFolder(t, files),
			"zip":                writeZip(t, "", files),
			"zip in a folder":    writeZip(t, "ucp-bundle-"+tt.user+"/", files),
			"zip without ca.pem": writeZip(t, "", map[string][]byte{"cert.pem": files["cert.pem"], "key.pem": files["key.pem"], "env.sh": files["env.sh"]}),
		}
		for layout, p := range layouts {
			t.Run(tt.user+"/"+layout, func(t *testing.T) {
				b, err := Open(p)
				if err != nil {
					t.Fatal(err)
				}
				if b.Source != p || b.User() != tt.user || !reflect.DeepEqual(b.Teams(), tt.wantTeams) || b.KeyID() != tt.wantID {
					t.Errorf("source %s user %q teams %q key %s", b.Source, b.User(), b.Teams(), b.KeyID())
				}
				if !bytes.Equal(b.KeyPEM, files["key.pem"]) || !bytes.Equal(b.CertPEM, files["cert.pem"]) {
					t.Error("PEM bytes differ from the files")
				}
				if !reflect.DeepEqual(b.Env, wantEnv) {
					t.Errorf("Env = %v\nwant  %v", b.Env, wantEnv)
				}
			})
		}
	}
}

func TestOpenMinimal(t *testing.T) {
	files := userFiles(t, "alice")
	b, err := Open(writeFolder(t, map[string][]byte{"cert.pem": files["cert.pem"], "key.pem": files["key.pem"]}))
	if err != nil {
		t.Fatal(err)
	}
	if b.CAPEM != nil || len(b.Env) != 0 {
		t.Errorf("CA %q env %v", b.CAPEM, b.Env)
	}
}

func TestOpenErrors(t *testing.T) {
	alice, bob := userFiles(t, "alice"), userFiles(t, "bob")
	with := func(base map[string][]byte, changes map[string][]byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	big := bytes.Repeat([]byte("#"), maxFileSize+1)
	many := map[string][]byte{"cert.pem": alice["cert.pem"], "key.pem": alice["key.pem"]}
	for i := range maxZipEntries {
		many[fmt.Sprintf("junk/%d.txt", i)] = nil
	}
	tests := []struct {
		name   string
		files  map[string][]byte // written as a folder and as a zip
		zipped []byte            // a zip only
		want   string
	}{
		{name: "missing key", files: with(alice, map[string][]byte{"key.pem": nil}), want: "key.pem in client bundle"},
		{name: "missing cert", files: with(alice, map[string][]byte{"cert.pem": nil}), want: "cert.pem in client bundle"},
		{name: "cert not PEM", files: with(alice, map[string][]byte{"cert.pem": []byte("hello")}), want: "cert.pem in client bundle"},
		{name: "key not PEM", files: with(alice, map[string][]byte{"key.pem": []byte("hello")}), want: "key.pem in client bundle"},
		{name: "certificate as key", files: with(alice, map[string][]byte{"key.pem": alice["cert.pem"]}), want: "CERTIFICATE block"},
		{name: "ca not PEM", files: with(alice, map[string][]byte{"ca.pem": []byte("x")}), want: "ca.pem in client bundle"},
		{name: "mismatch", files: with(alice, map[string][]byte{"key.pem": bob["key.pem"]}), want: "key.pem does not belong to cert.pem"},
		{name: "oversized file", files: with(alice, map[string][]byte{"env.sh": big}), want: "over 1048576 bytes"},
		{name: "corrupt zip", zipped: []byte("PK\x03\x04 not really"), want: "corrupt zip"},
		{name: "empty file", zipped: []byte{}, want: "corrupt zip"},
		{name: "traversal ignored", zipped: zipBytes(t, "../", alice), want: "cert.pem in client bundle"},
		{name: "absolute ignored", zipped: zipBytes(t, "/", alice), want: "cert.pem in client bundle"},
		{name: "too deep ignored", zipped: zipBytes(t, "a/b/", alice), want: "cert.pem in client bundle"},
		{name: "two bundles", zipped: zipTwo(t, alice, bob), want: "several bundles"},
		{name: "too many entries", zipped: zipBytes(t, "", many), want: "zip entries"},
	}
	for _, tt := range tests {
		paths := map[string]string{}
		if tt.files != nil {
			paths["folder"] = writeFolder(t, tt.files)
			paths["zip"] = writeZip(t, "", tt.files)
		} else {
			p := filepath.Join(t.TempDir(), "bundle.zip")
			if err := os.WriteFile(p, tt.zipped, 0o600); err != nil {
				t.Fatal(err)
			}
			paths["zip"] = p
		}
		for kind, p := range paths {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				b, err := Open(p)
				if err == nil {
					t.Fatalf("Open = %+v", b)
				}
				msg := err.Error()
				if !strings.Contains(msg, tt.want) || !strings.Contains(msg, p) || strings.Contains(msg, "\n") {
					t.Errorf("error %q: want one line with %q and %s", msg, tt.want, p)
				}
			})
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.zip")); err == nil {
		t.Error("missing path opened")
	}
}

func zipTwo(t *testing.T, a, b map[string][]byte) []byte {
	files := map[string][]byte{}
	for k, v := range a {
		files["a/"+k] = v
	}
	for k, v := range b {
		files["b/"+k] = v
	}
	return zipBytes(t, "", files)
}

func TestEntryName(t *testing.T) {
	tests := []struct {
		name, dir, base string
		ok              bool
	}{
		{"cert.pem", "", "cert.pem", true},
		{"bundle/cert.pem", "bundle", "cert.pem", true},
		{"../cert.pem", "", "", false},
		{"a/../cert.pem", "", "", false},
		{"/cert.pem", "", "", false},
		{"./cert.pem", "", "", false},
		{"a\\cert.pem", "", "", false},
		{"a/b/cert.pem", "", "", false},
		{"a//cert.pem", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		dir, base, ok := entryName(tt.name)
		if dir != tt.dir || base != tt.base || ok != tt.ok {
			t.Errorf("entryName(%q) = %q %q %v", tt.name, dir, base, ok)
		}
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add([]byte(envSH))
	f.Add([]byte("export A=\"b\"\nexport C='d'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k, v := range ParseEnv(data) {
			if !exportLine.MatchString("export "+k+"=x") || strings.ContainsAny(v, "\n") {
				t.Fatalf("parsed %q=%q", k, v)
			}
		}
	})
}

func FuzzOpenZip(f *testing.F) {
	alice := userFiles(f, "alice")
	f.Add(zipBytes(f, "", alice))
	f.Add(zipBytes(f, "bundle/", alice))
	f.Add(zipBytes(f, "../", alice))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := readZip(bytes.NewReader(data), int64(len(data)), "fuzz.zip")
		if err != nil {
			return
		}
		for name, content := range files {
			if !isWanted(name) || len(content) > maxFileSize {
				t.Fatalf("read %q of %d bytes", name, len(content))
			}
		}
		if b, err := parse("fuzz.zip", files); err == nil && b.KeyID() == "" {
			t.Fatal("bundle without key ID")
		}
	})
}
