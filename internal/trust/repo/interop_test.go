package repo_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// notaryCLI runs the reference notary client against a trust dir.
type notaryCLI struct {
	t          *testing.T
	bin        string
	server, ca string
}

func (n notaryCLI) run(trustDir, stdin string, args ...string) string {
	n.t.Helper()
	args = append([]string{"-s", n.server, "-d", trustDir}, args...)
	if n.ca != "" {
		args = append([]string{"--tlscacert", n.ca}, args...)
	}
	cmd := exec.Command(n.bin, args...)
	cmd.Env = append(os.Environ(), "NOTARY_ROOT_PASSPHRASE=interop-pass", "NOTARY_TARGETS_PASSPHRASE=interop-pass",
		"NOTARY_SNAPSHOT_PASSPHRASE=interop-pass", "NOTARY_DELEGATION_PASSPHRASE=interop-pass")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		n.t.Fatalf("notary %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// parseNotaryList reads the table of `notary list` into targets (digest as sha256:hex).
func parseNotaryList(t *testing.T, out string) []repo.Target {
	t.Helper()
	targets := []repo.Target{}
	lines := strings.Split(out, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "----") })
	if i < 0 {
		t.Fatalf("no table in notary list output:\n%s", out)
	}
	for _, line := range lines[i+1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 {
			t.Fatalf("unexpected notary list line %q", line)
		}
		var size int64
		fmt.Sscan(f[2], &size)
		targets = append(targets, repo.Target{Name: f[0], Digest: "sha256:" + f[1], Size: size, Role: f[3]})
	}
	return targets
}

// writeUser writes a delegate's certificate (issued by a bundle CA, like a UCP client
// bundle) and unencrypted private key.
func writeUser(t *testing.T, dir, name string, key crypto.Signer, ca *x509.Certificate, caKey crypto.Signer) (certFile, keyFile string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		b, _ := x509.MarshalECPrivateKey(k)
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
	return certFile, keyFile
}

// TestInteropNotaryServer builds a repository with the real notary CLI and server
// (ECDSA and RSA delegates, nested path restrictions, server-managed snapshot, root
// rotation) and checks that List equals `notary list` and Inspect equals
// `docker trust inspect`.
func TestInteropNotaryServer(t *testing.T) {
	srv := testenv.StartServer(t)
	n := notaryCLI{t: t, bin: testenv.RefBin(t, "notary"), server: srv.URL, ca: srv.CAFile}
	gun := "127.0.0.1:5000/trustctl/interop"
	admin, delegate, files := t.TempDir(), t.TempDir(), t.TempDir()

	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bundle CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	aliceKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bobKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	aliceCert, aliceKeyFile := writeUser(t, files, "alice", aliceKey, ca, caKey)
	bobCert, bobKeyFile := writeUser(t, files, "bob", bobKey, ca, caKey)
	manifest := func(name string) string {
		p := filepath.Join(files, name+".json")
		os.WriteFile(p, []byte(`{"schemaVersion":2,"tag":"`+name+`"}`), 0o600)
		return p
	}

	n.run(admin, "", "init", gun, "-p")
	n.run(admin, "", "add", gun, "v1", manifest("v1"), "-p")
	n.run(admin, "", "key", "rotate", gun, "snapshot", "-r")
	n.run(admin, "", "delegation", "add", gun, "targets/releases", "--all-paths", aliceCert, bobCert)
	n.run(admin, "", "delegation", "add", gun, "targets/qa", "--all-paths", bobCert)
	n.run(admin, "", "delegation", "add", gun, "targets/ci", "--paths", "ci-", aliceCert)
	n.run(admin, "", "publish", gun)

	n.run(delegate, "", "key", "import", aliceKeyFile, "--role", "alice")
	n.run(delegate, "", "key", "import", bobKeyFile, "--role", "bob")
	n.run(delegate, "", "add", gun, "v2", manifest("v2"), "--roles", "targets/releases")
	n.run(delegate, "", "add", gun, "v3", manifest("v3"), "--roles", "targets/releases,targets/qa")
	n.run(delegate, "", "add", gun, "qa-1", manifest("qa-1"), "--roles", "targets/qa")
	n.run(delegate, "", "add", gun, "ci-1", manifest("ci-1"), "--roles", "targets/ci,targets/qa")
	n.run(delegate, "", "add", gun, "v1", manifest("v1"), "--roles", "targets/qa")
	n.run(delegate, "", "publish", gun)

	n.run(admin, "yes\n", "key", "rotate", gun, "root")
	n.run(admin, "", "add", gun, "v4", manifest("v4"), "-p")

	for _, roles := range [][]string{nil, {"targets/releases"}, {"targets/qa"}, {"targets/qa", "targets"}, {"targets/ci"}} {
		args := []string{"list", gun}
		if roles != nil {
			args = append(args, "--roles", strings.Join(roles, ","))
		}
		want := parseNotaryList(t, n.run(admin, "", args...)) // online: refreshes the cache too
		r, err := repo.Open(store.Dir{Root: admin}, gun, repo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.List(roles...); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("List(%q)\n got %v\nwant %v", roles, got, want)
		}
	}

	r, err := repo.Open(store.Dir{Root: admin}, gun, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Metadata().Root.Version; v < 3 {
		t.Errorf("root version %d after rotation", v)
	}
	if len(r.Invalid()) != 0 {
		t.Errorf("invalid delegations: %v", r.Invalid())
	}
	if _, err := r.Lookup("qa-1"); err == nil {
		t.Error("qa-1 is signed only by targets/qa: docker refuses it")
	}
	if l, err := r.Lookup("v3"); err != nil || l.Role != "targets/releases" {
		t.Errorf("Lookup(v3) = %v, %v", l, err)
	}

	docker := testenv.Docker(t)
	config := t.TempDir()
	if err := os.CopyFS(filepath.Join(config, "trust"), os.DirFS(admin)); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"", "v1", "v3", "ci-1", "nope"} {
		ref := gun
		if tag != "" {
			ref += ":" + tag
		}
		cmd := exec.Command(docker, "trust", "inspect", ref)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+config, "DOCKER_CONTENT_TRUST_SERVER="+srv.URL)
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker trust inspect %s: %v\n%s", ref, err, want)
		}
		got, err := repo.DockerJSON(r.Inspect(tag))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Inspect(%q)\n got %s\nwant %s", tag, got, want)
		}
	}
}

// TestInteropNotaryReadsOurs writes a repository signed by trustctl (root certificate,
// delegations with a certificate key, odd characters) into a trust dir and lets the real
// notary list it offline (an unreachable server makes it fall back to the cache).
func TestInteropNotaryReadsOurs(t *testing.T) {
	n := notaryCLI{t: t, bin: testenv.RefBin(t, "notary"), server: "https://127.0.0.1:1"}
	now := time.Now()
	gun := "127.0.0.1:5000/trustctl/ours"
	r := tuftest.New(t, gun, now)
	r.AddTarget(tuf.RoleTargets, "v1", []byte("one"))
	r.AddTarget(tuf.RoleTargets, "<b>&é", []byte("odd"))
	r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewCertKey(t, "alice", now.Add(-time.Hour), now.AddDate(1, 0, 0)))
	r.Delegate(tuf.RoleTargets, "targets/qa", []string{"qa-"}, tuftest.NewKey(t))
	r.AddTarget("targets/releases", "v2", []byte("two"))
	r.AddTarget("targets/qa", "qa-1", []byte("qa"))
	r.RotateRoot(t, tuftest.NewCertKey(t, gun, now.Add(-time.Hour), now.AddDate(10, 0, 0)))
	r.Publish(t)
	dir := r.TrustDir(t)
	mine, err := repo.Open(dir, gun, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := mine.List()
	if len(want) != 4 {
		t.Fatalf("List = %v", want)
	}
	out := n.run(dir.Root, "", "list", gun)
	got := parseNotaryList(t, out)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notary list of our repository\n got %v\nwant %v\n%s", got, want, out)
	}
}
