package pin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/policy"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func decision(service, repo, tag string, result policy.Result, code policy.Code) policy.Decision {
	return policy.Decision{Image: policy.Image{Repo: repo, Tag: tag}, Source: policy.Source{Service: service},
		Result: result, Code: code, Digest: digestA, Reason: "why\nnot"}
}

func TestReference(t *testing.T) {
	tests := []struct {
		name string
		d    policy.Decision
		want string
	}{
		{"signed pass", decision("s", "r.example/app", "1", policy.Pass, policy.CodeSigned), "r.example/app:1@" + digestA},
		{"signed warn", decision("s", "r.example/app", "1", policy.Warn, policy.CodeSigned), "r.example/app:1@" + digestA},
		{"digest only", decision("s", "r.example/app", "", policy.Pass, policy.CodeSigned), "r.example/app@" + digestA},
		{"exception", decision("s", "r.example/app", "1", policy.Exception, policy.CodeException), ""},
		{"none required", decision("s", "r.example/app", "1", policy.Pass, policy.CodeNoneRequired), ""},
		{"warn mode failure", decision("s", "r.example/app", "1", policy.Warn, policy.CodeUnsigned), ""},
		{"fail", decision("s", "r.example/app", "1", policy.Fail, policy.CodeDigestMismatch), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Reference(tt.d)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Reference = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	o := Override{Version: "3.10", Policy: "policy.yml", Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Tool: "trustctl v1",
		Decisions: []policy.Decision{
			decision("web", "r.example/app", "1", policy.Pass, policy.CodeSigned),
			decision("debug", "r.example/debug", "latest", policy.Exception, policy.CodeException),
			decision("yes", "r.example/odd", "2", policy.Pass, policy.CodeSigned),
		}}
	got, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `# Pinned by trustctl v1 at 2026-12-01T00:00:00Z against the policy policy.yml.
# Every image below passed that policy with this digest. Deploy with this file last:
#   docker stack deploy -c FILE... -c THIS   or   docker compose -f FILE... -f THIS ...
# Not pinned:
#   debug: r.example/debug:latest (exception: why not)

version: "3.10"
services:
  web:
    image: r.example/app:1@` + digestA + `
  "yes":
    image: r.example/odd:2@` + digestA + `
`
	if string(got) != want {
		t.Errorf("Render:\n%s\nwant:\n%s", got, want)
	}
	again, _ := Render(o)
	if string(again) != string(got) {
		t.Error("Render is not deterministic")
	}
}

func TestWriteAndRemove(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pins.yml")
	if err := Write(out, []byte("services: {}\n")); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != FileMode {
		t.Fatalf("mode %v, %v; want %v", info.Mode().Perm(), err, os.FileMode(FileMode))
	}
	if err := Remove(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Fatalf("pin file still there: %v", err)
	}
	if err := Remove(out); err != nil {
		t.Fatalf("removing nothing: %v", err)
	}

	target := filepath.Join(dir, "target.yml")
	link := filepath.Join(dir, "link.yml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("x")); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("Write through a symlink: %v", err)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatal("the symlink's target was written")
	}
	if err := CheckTarget(link, nil); err == nil {
		t.Fatal("CheckTarget accepts a symlink")
	}
	input := filepath.Join(dir, "stack.yml")
	os.WriteFile(input, []byte("services: {}\n"), 0o600)
	if err := CheckTarget(input, []string{input}); err == nil {
		t.Fatal("CheckTarget accepts an input file")
	}
}
