package gate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestPinnedTagMoved: 1.0 signed at A, pinned, then signed again at B. The pinned files
// still name A and now fail as a digest mismatch naming both digests; the tag alone
// passes at B.
func TestPinnedTagMoved(t *testing.T) {
	const moved = "registry.example.com/team/moved"
	now := time.Now()
	r := tuftest.New(t, moved, now)
	r.AddTarget(tuf.RoleTargets, "1.0", []byte("A"))
	r.Publish(t)
	trust := r.TrustDir(t)
	dir := t.TempDir()
	text := "version: 1\ntrust: {on_unpinned: warn}\ndefault: {require: signed}\n"
	pol, err := policy.Parse("policy.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, dir, "stack.yml", "services:\n  app:\n    image: "+moved+":1.0\n")
	opts := Options{Files: []string{file}, Stack: stack.Options{Mode: stack.ModeStack, Environ: []string{}}, Policy: pol, TrustDir: trust, Now: now}
	ds, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pin.Render(pin.Override{Decisions: ds, Policy: "policy.yml", Time: now, Tool: "trustctl test"})
	if err != nil {
		t.Fatal(err)
	}
	pins := filepath.Join(dir, "pins.yml")
	if err := os.WriteFile(pins, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := tuftest.Digest([]byte("A")), tuftest.Digest([]byte("B"))
	if !strings.Contains(string(data), moved+":1.0@"+a) {
		t.Fatalf("pin file does not pin A:\n%s", data)
	}

	r.AddTarget(tuf.RoleTargets, "1.0", []byte("B"))
	r.Publish(t)
	r.Write(t, trust)
	opts.Files = []string{file, pins}
	ds, err = Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	if d.Result != policy.Fail || d.Code != policy.CodeDigestMismatch || d.Digest != b || d.Image.Digest != a ||
		!strings.Contains(d.Reason, b[:19]) || !strings.Contains(d.Reason, a[:19]) {
		t.Errorf("pinned after the move: %s %s %q (digest %s, image %s)", d.Result, d.Code, d.Reason, d.Digest, d.Image)
	}
	opts.Files = []string{file}
	if ds, err = Run(context.Background(), opts); err != nil || ds[0].Digest != b || ds[0].Code != policy.CodeSigned {
		t.Errorf("the tag alone: %+v, %v", ds, err)
	}
}
