package cli

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

const fetchGUN = "registry.example.com/dev/app"

// run runs trustctl in-process and returns the exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		func(string) string { return "" })
	return code, out.String(), errOut.String()
}

// snapshotDir reads every file under dir (none when it does not exist).
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		files[p] = string(b)
		return nil
	})
	return files
}

func writePolicy(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pinPolicy(t *testing.T, gun, id string) string {
	return writePolicy(t, "version: 1\ntrust:\n  pins:\n    - match: "+gun+"\n      root_keys: ["+id+"]\ndefault: {require: signed}\n")
}

// TestFetchPolicyPins: fetch --policy pins the root at first contact exactly as verify
// does; a root failing its pin never enters the trust dir.
func TestFetchPolicyPins(t *testing.T) {
	r := tuftest.New(t, fetchGUN, time.Now())
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	rootID := r.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	other := strings.Repeat("ab", 32)
	stackFile := filepath.Join(t.TempDir(), "stack.yml")
	os.WriteFile(stackFile, []byte("services:\n  app:\n    image: "+fetchGUN+":1.0\n"), 0o600)

	for _, tc := range []struct {
		name   string
		pin    string
		args   []string
		code   int
		stderr string
	}{
		{"wrong pin, repository", other, []string{fetchGUN}, exitcode.TrustData, "pin-mismatch"},
		{"wrong pin, stack file", other, []string{"-f", stackFile}, exitcode.TrustData, "expected " + other},
		{"right pin", rootID, []string{"-f", stackFile}, exitcode.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			before := snapshotDir(t, dir)
			args := append([]string{"fetch", "-d", dir, "-s", srv.URL, "--policy", pinPolicy(t, fetchGUN, tc.pin)}, tc.args...)
			code, _, stderr := run(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.code != exitcode.OK {
				if after := snapshotDir(t, dir); len(after) != len(before) {
					t.Fatalf("the trust dir changed: %d files, %d before", len(after), len(before))
				}
				if !strings.Contains(stderr, rootID) {
					t.Errorf("the actual root key %s is not named:\n%s", rootID, stderr)
				}
			}
		})
	}
	code, _, stderr := run(t, "fetch", "-d", t.TempDir(), "-s", srv.URL, "--policy", pinPolicy(t, fetchGUN, rootID), "--root-key", rootID, fetchGUN)
	if code != exitcode.Input {
		t.Fatalf("--policy with --root-key: exit %d\n%s", code, stderr)
	}
}

// TestFetchTimeout: --timeout bounds the whole fetch, far below the per-request limit.
func TestFetchTimeout(t *testing.T) {
	r := tuftest.New(t, fetchGUN, time.Now())
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	srv.SetHook(func(w http.ResponseWriter, req *http.Request, file string) bool {
		if file == "timestamp.json" {
			select {
			case <-time.After(time.Minute):
			case <-req.Context().Done():
			}
		}
		return false
	})
	dir := t.TempDir()
	start := time.Now()
	code, _, stderr := run(t, "fetch", "-d", dir, "-s", srv.URL, "--timeout", "1s", fetchGUN)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	if code != exitcode.TrustData || !strings.Contains(stderr, "not done within --timeout 1s") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if len(snapshotDir(t, filepath.Join(dir, "tuf"))) != 0 {
		t.Fatal("a timed-out fetch wrote trust data")
	}
}
