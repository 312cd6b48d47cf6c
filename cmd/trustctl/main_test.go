package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trustctl/trustctl/internal/testenv"
)

// TestMain lets testscript run this test binary as the trustctl command, so the
// scripts exercise the real main, flags, streams and exit codes.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"trustctl": func() { os.Exit(run()) },
		// the docker CLI plugin, by the names docker ≥ 29 and the tests' docker 28 run
		"docker-trust":     func() { os.Exit(run()) },
		"docker-trusttest": func() { os.Exit(run()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script. Each script gets FIXTURES
// (the reference notary run), EXAMPLES (the README's example), PASSPHRASE (the
// fixtures' key passphrase) and REFBIN (the reference binaries), and a HOME of its own so nothing outside $WORK is touched.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			if !haveRefBin() && os.Getenv("CI") != "" {
				return fmt.Errorf("reference binaries missing in %s (scripts/reference.sh installs them)", testenv.RefBinDir())
			}
			env.Setenv("FIXTURES", testenv.Fixtures())
			env.Setenv("EXAMPLES", filepath.Join(testenv.RepoRoot(), "examples"))
			env.Setenv("DOCS", filepath.Join(testenv.RepoRoot(), "docs"))
			env.Setenv("PASSPHRASE", testenv.FixturePassphrase)
			env.Setenv("REFBIN", testenv.RefBinDir())
			modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
			if err != nil {
				return fmt.Errorf("go env GOMODCACHE: %w", err)
			}
			// notary's backwards-compatibility repositories, in the module reference.sh installs
			env.Setenv("NOTARYCOMPAT", filepath.Join(strings.TrimSpace(string(modcache)), "github.com", "theupdateframework", "notary@v0.7.0", "fixtures", "compatibility"))
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("DOCKER_CONFIG", env.WorkDir+"/home/.docker")
			return nil
		},
		RequireExplicitExec: true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"exits": exits,
			"start-servers": startServers, "push-image": pushImage,
			"golden-trust": goldenTrust, "doc-examples": docExamples},
		Condition: func(cond string) (bool, error) {
			if cond == "refbin" {
				return haveRefBin(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// haveRefBin tells whether scripts/reference.sh has installed the reference binaries;
// scripts that run them start with `[!refbin] skip`, which CI never reaches (Setup
// fails there instead).
func haveRefBin() bool {
	_, err := os.Stat(filepath.Join(testenv.RefBinDir(), "notary"))
	return err == nil
}

// exits N PROG ARGS… runs a program like exec and checks that it exits with status N,
// so the scripts pin the documented exit codes, not just "failed".
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exits: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
