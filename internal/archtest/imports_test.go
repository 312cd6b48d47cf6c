package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/trustctl/trustctl"

// forbidden lists, for each package prefix, the packages it must not import. Arrows
// point down: cli → gate → (stack, trust, policy); policy takes plain facts; trust
// knows nothing of the command line, policies or stacks; nothing imports cli.
var forbidden = map[string][]string{
	"internal/trust":  {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report", "internal/bundle"},
	"internal/stack":  {"internal/cli", "internal/gate", "internal/policy", "internal/trust", "internal/report"},
	"internal/policy": {"internal/cli", "internal/gate", "internal/stack", "internal/trust/repo", "internal/trust/keys", "internal/trust/server", "internal/trust/store", "internal/report"},
	"internal/bundle": {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report"},
	"internal/report": {"internal/cli", "internal/gate"},
	"internal/gate":   {"internal/cli"},
	// The one HTTP client knows nothing of trust data: notary's dialect is built on it.
	"internal/registry": {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report", "internal/bundle", "internal/trust"},
	"internal/pin":      {"internal/cli", "internal/gate", "internal/trust"},
	// cosign formats are pure functions of bytes and keys: no trust, registry or CLI.
	"internal/cosign": {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report", "internal/bundle", "internal/trust"},
	// migrate orchestrates trust, registry and cosign; the command and the report sit above it.
	"internal/migrate": {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report", "internal/bundle"},
	// The cosign signatures in the trust dir are plain data: the gate turns them into
	// policy facts.
	"internal/sigcache": {"internal/cli", "internal/gate", "internal/policy", "internal/stack", "internal/report", "internal/bundle", "internal/trust/repo", "internal/trust/client"},
}

// outside lists modules the binary must never link: the archived notary client (the
// dialect is implemented here), the docker engine module and docker's plugin framework.
var outside = []string{
	"github.com/theupdateframework/notary",
	"github.com/docker/docker",
	"github.com/theupdateframework/go-tuf",
	// The plugin speaks docker's protocol with the types-only metadata package: the
	// plugin framework and docker's command packages pull in hundreds of packages.
	"github.com/docker/cli/cli-plugins/plugin",
	"github.com/docker/cli/cli/command",
	// cosign's formats are implemented on the standard library (docs/design.md); these
	// modules would link more than a hundred others.
	"github.com/sigstore/cosign",
	"github.com/sigstore/sigstore-go",
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for prefix, bad := range forbidden {
			if !under(rel, prefix) {
				continue
			}
			for _, imp := range p.Imports {
				for _, b := range bad {
					if under(strings.TrimPrefix(imp, module+"/"), b) && strings.HasPrefix(imp, module) {
						t.Errorf("%s imports %s: arrows must point down (DESIGN.md)", p.ImportPath, imp)
					}
				}
			}
		}
		if rel == "cmd/trustctl" {
			for _, dep := range p.Deps {
				for _, o := range outside {
					if under(dep, o) {
						t.Errorf("trustctl links %s", dep)
					}
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 3 {
		t.Fatalf("go list saw only %d packages", seen)
	}
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}
