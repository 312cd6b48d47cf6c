package keys

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/store"
)

const interopPass = "interop-passphrase"

// runNotary runs the reference notary on trust dir dir with every passphrase variable
// set to pass, no terminal and an empty home.
func runNotary(t *testing.T, dir, pass string, args ...string) (string, error) {
	t.Helper()
	// An unreachable server makes online steps fail fast.
	cmd := exec.Command(testenv.RefBin(t, "notary"), append([]string{"-d", dir, "-s", "https://127.0.0.1:1"}, args...)...)
	cmd.Env = []string{
		"HOME=" + t.TempDir(),
		"NOTARY_ROOT_PASSPHRASE=" + pass,
		"NOTARY_TARGETS_PASSPHRASE=" + pass,
		"NOTARY_SNAPSHOT_PASSPHRASE=" + pass,
		"NOTARY_DELEGATION_PASSPHRASE=" + pass,
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// notaryKeyList parses `notary key list`: role, GUN (notary cuts long ones to
// "...<tail>"), key ID, in notary's order.
func notaryKeyList(t *testing.T, dir, pass string) [][3]string {
	t.Helper()
	out, err := runNotary(t, dir, pass, "key", "list")
	if err != nil {
		t.Fatalf("notary key list: %v\n%s", err, out)
	}
	var rows [][3]string
	started := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "----":
			started = true
		case !started || len(f) == 0:
		case len(f) == 3:
			rows = append(rows, [3]string{f[0], "", f[1]})
		case len(f) == 4:
			rows = append(rows, [3]string{f[0], f[1], f[2]})
		default:
			t.Fatalf("unexpected key list line %q", line)
		}
	}
	return rows
}

// assertSameList compares List with `notary key list` row by row.
func assertSameList(t *testing.T, dir, pass string) []Info {
	t.Helper()
	list, err := Open(store.Dir{Root: dir}, nil).List()
	if err != nil {
		t.Fatal(err)
	}
	compareList(t, list, notaryKeyList(t, dir, pass))
	return list
}

func compareList(t *testing.T, list []Info, rows [][3]string) {
	t.Helper()
	if len(rows) != len(list) {
		t.Fatalf("notary lists %d keys %v, trustctl %d %v", len(rows), rows, len(list), list)
	}
	for i, r := range rows {
		got := list[i]
		gunOK := r[1] == got.GUN || (strings.HasPrefix(r[1], "...") && strings.HasSuffix(got.GUN, r[1][3:]))
		if r[0] != got.Role || !gunOK || r[2] != got.ID {
			t.Errorf("row %d: notary %v, trustctl %v", i, r, got)
		}
	}
}

// The store reads the legacy layouts as notary's migration rewrites them.
func TestInteropLegacyLayout(t *testing.T) {
	dir := legacyDir(t)
	list, err := Open(store.Dir{Root: dir}, nil).List()
	if err != nil {
		t.Fatal(err)
	}
	compareList(t, list, notaryKeyList(t, dir, testenv.FixturePassphrase)) // notary migrates here
	assertSameList(t, dir, testenv.FixturePassphrase)                      // and the migrated dir
}

func TestInteropListTrustAdmin(t *testing.T) {
	// A copy: notary's key store deletes legacy folders when it opens one.
	dir := testenv.CopyDir(t, filepath.Join(testenv.Fixtures(), "trust-admin"))
	if got := assertSameList(t, dir, testenv.FixturePassphrase); len(got) != 4 {
		t.Errorf("listed %d keys", len(got))
	}
}

// Keys notary generates are listed, decrypted and exported by the store.
func TestInteropNotaryWrites(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"key", "generate"}, // root
		{"key", "generate", "ecdsa", "--role", "alice"},
		{"key", "generate", "ecdsa", "--role", "targets/releases"},
	} {
		if out, err := runNotary(t, dir, interopPass, args...); err != nil {
			t.Fatalf("notary %v: %v\n%s", args, err, out)
		}
	}
	// init creates the targets and snapshot keys, then fails to reach the server.
	out, _ := runNotary(t, dir, interopPass, "init", "example.com/team/app")
	list := assertSameList(t, dir, interopPass)
	if len(list) != 5 {
		t.Fatalf("listed %v\nnotary init said:\n%s", list, out)
	}
	s := Open(store.Dir{Root: dir}, allVars(interopPass))
	before := treeState(t, dir)
	for _, info := range list {
		if _, _, err := s.PrivateKey(info.ID); err != nil {
			t.Errorf("%v: %v", info, err)
		}
		if _, err := s.Export(info.ID); err != nil {
			t.Errorf("export %v: %v", info, err)
		}
	}
	assertUnchanged(t, dir, before)
}

// Keys the store writes are listed identically by notary and decrypted by it: `notary
// key passwd` must decrypt a key to re-encrypt it. The store then reads notary's file.
func TestInteropStoreWrites(t *testing.T) {
	dir := t.TempDir()
	s := Open(store.Dir{Root: dir}, allVars(interopPass))
	for _, rg := range [][2]string{{"root", ""}, {"targets", "example.com/team/app"}, {"snapshot", "example.com/team/app"}, {"bob", ""}, {"targets/releases", ""}} {
		if _, _, err := s.Generate(rg[0], rg[1]); err != nil {
			t.Fatal(err)
		}
	}
	imports := map[string][]byte{
		"alice": fixture(t, "users/alice/key.pem"), // EC P-256, SEC1
		"carol": fixture(t, "users/bob/key.pem"),   // RSA 2048, PKCS#1
		"ed":    pemBlock("PRIVATE KEY", nil, mustPKCS8(t, testKeys()["ed25519"])),
		"p384":  pemBlock("PRIVATE KEY", nil, mustPKCS8(t, testKeys()["ecdsa-p384"])),
	}
	for role, data := range imports {
		if _, err := s.Import(data, role+".pem", role, "", false); err != nil {
			t.Fatalf("import %s: %v", role, err)
		}
	}
	// alice's key again, from OpenSSL 3 (PRF HMAC-SHA256) under the fixture passphrase.
	reencrypt := Open(store.Dir{Root: dir}, sourceFunc(func(_, _ string, newKey bool, _ int) (string, error) {
		if newKey {
			return interopPass, nil
		}
		return testenv.FixturePassphrase, nil
	}))
	if _, err := reencrypt.Import(fixture(t, "experiments/keyformat/alice-openssl-default.p8"), "openssl3.p8", "openssl3", "", true); err != nil {
		t.Fatal(err)
	}
	list := assertSameList(t, dir, interopPass)
	if len(list) != 9 {
		t.Fatalf("listed %v", list)
	}
	for _, info := range list {
		key, _, err := s.PrivateKey(info.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := runNotary(t, dir, interopPass, "key", "passwd", info.ID)
		if err != nil || !strings.Contains(out, "Successfully updated passphrase for key ID: "+info.ID) {
			t.Errorf("notary key passwd %v: %v\n%s", info, err, out)
			continue
		}
		again, got, err := s.PrivateKey(info.ID)
		if err != nil || !sameKey(again, key) || got != info {
			t.Errorf("after notary rewrote %v: %v %v", info, got, err)
		}
	}
	assertSameList(t, dir, interopPass)

	// A wrong passphrase fails in notary too: the files really are encrypted.
	if out, err := runNotary(t, dir, "wrong-passphrase", "key", "passwd", list[0].ID); err == nil {
		t.Errorf("notary accepted a wrong passphrase:\n%s", out)
	}
}
