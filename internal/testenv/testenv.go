// Package testenv locates what the tests run against: the reference notary binaries that
// scripts/reference.sh installs, and the fixtures of a reference run in testdata/.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// FixturePassphrase encrypts every private key of the reference fixtures.
const FixturePassphrase = "oracle-test-passphrase"

// RepoRoot is the project's root folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Fixtures is testdata/notary-fixtures: a complete run of notary v0.7.0 (trust dirs,
// keys, server dumps; see its README).
func Fixtures() string { return filepath.Join(RepoRoot(), "testdata", "notary-fixtures") }

// RefBinDir is where scripts/reference.sh installs the reference binaries.
func RefBinDir() string {
	if d := os.Getenv("TRUSTCTL_REFBIN"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "trustctl", "refbin")
}

// RefBin returns the path of a reference binary (notary, notary-server,
// notary-server-fixed, notary-signer, registry). Interop is never skipped in CI: there a
// missing binary fails the test; elsewhere it skips with the command that installs it.
func RefBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RefBinDir(), name)
	if _, err := exec.LookPath(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference binary %s missing (scripts/reference.sh installs it): %v", p, err)
		}
		t.Skipf("reference binary %s missing; run scripts/reference.sh", p)
	}
	return p
}

// Docker returns the docker CLI (28.x, for `docker trust inspect`); like RefBin it fails
// in CI when missing.
func Docker(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("docker")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker CLI missing: %v", err)
		}
		t.Skip("docker CLI missing")
	}
	return p
}

// CopyDir copies a folder tree (files 0600, folders 0700, like a trust dir) so a test
// can change it without touching the fixtures.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}
