package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestPolicyPin: policy pin refuses a repository without trust data and leaves the
// policy as it was; after a fetch it adds the current root's certificate ID in place,
// keeping comments, and a second run adds nothing.
func TestPolicyPin(t *testing.T) {
	r := tuftest.New(t, fetchGUN, time.Now())
	srv := tuftest.NewServer(t)
	srv.Serve(r)
	rootID := r.Root.Roles[tuf.RoleRoot].KeyIDs[0]
	dir := t.TempDir()
	original := "version: 1 # policy v1\n\n# trust settings\ntrust:\n  on_unpinned: deny   # no TOFU\n\ndefault: {require: signed}\n"
	pol := writePolicy(t, original)
	if err := os.Chmod(pol, 0o644); err != nil {
		t.Fatal(err)
	}
	stackFile := filepath.Join(t.TempDir(), "stack.yml")
	os.WriteFile(stackFile, []byte("services:\n  app:\n    image: "+fetchGUN+":1.0\n"), 0o600)

	code, _, stderr := run(t, "policy", "pin", "-d", dir, pol, "-f", stackFile)
	if code != exitcode.TrustData || !strings.Contains(stderr, "no verified trust data") || !strings.Contains(stderr, "trustctl fetch "+fetchGUN) {
		t.Fatalf("without trust data: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(pol); string(b) != original {
		t.Fatalf("the policy changed:\n%s", b)
	}

	if code, _, stderr := run(t, "fetch", "-d", dir, "-s", srv.URL, fetchGUN); code != exitcode.OK {
		t.Fatalf("fetch: %d\n%s", code, stderr)
	}
	code, out, stderr := run(t, "policy", "pin", "-d", dir, pol, "-f", stackFile)
	if code != exitcode.OK || !strings.Contains(out, fetchGUN+": pinned to root certificate "+rootID) {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	want := "version: 1 # policy v1\n\n# trust settings\ntrust:\n  on_unpinned: deny   # no TOFU\n  pins:\n    - match: " + fetchGUN +
		"\n      root_keys: [" + rootID + "]\n\ndefault: {require: signed}\n"
	if b, _ := os.ReadFile(pol); string(b) != want {
		t.Fatalf("policy after pin:\n%s\nwant\n%s", b, want)
	}
	if fi, _ := os.Stat(pol); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want the policy's 0644", fi.Mode().Perm())
	}
	code, out, _ = run(t, "policy", "pin", "-d", dir, pol, fetchGUN)
	if code != exitcode.OK || !strings.Contains(out, "already pinned by trust.pins[0]") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	// The pin holds in verify.
	code, out, stderr = run(t, "verify", "-d", dir, "--policy", pol, stackFile)
	if strings.Contains(out+stderr, "pin-mismatch") || code == exitcode.TrustData {
		t.Fatalf("verify with the new pin: exit %d\n%s%s", code, out, stderr)
	}
}
