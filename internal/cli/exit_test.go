package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// runTrustctl runs one command line in process, as main does.
func runTrustctl(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = Execute(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, getenv)
	return code, out.String(), errOut.String()
}

// commandTree lists the paths of every command below the root ("key import"), groups
// included, without cobra's own help and completion helpers.
func commandTree(t *testing.T) (leaves, groups []string) {
	t.Helper()
	a := &app{streams: Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, getenv: os.Getenv, cfg: viper.New()}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.Name() == "help" {
				continue
			}
			path := commandName(sub)
			if sub.HasSubCommands() {
				groups = append(groups, path)
			} else {
				leaves = append(leaves, path)
			}
			walk(sub)
		}
	}
	walk(a.rootCommand())
	return leaves, groups
}

// TestUnknownSubcommand walks the command tree: every group refuses a subcommand it
// does not have with exit 2 and a suggestion, as the root does, and still prints its
// help without arguments.
func TestUnknownSubcommand(t *testing.T) {
	_, groups := commandTree(t)
	if len(groups) < 4 {
		t.Fatalf("groups = %v, want key, bundle, policy, delegate at least", groups)
	}
	for _, group := range groups {
		t.Run(group, func(t *testing.T) {
			args := append(strings.Fields(group), "nosuchcommand", "x")
			code, _, stderr := runTrustctl(t, nil, args...)
			if code != 2 || !strings.Contains(stderr, `unknown command "nosuchcommand"`) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming the unknown command", args, code, stderr)
			}
			code, stdout, _ := runTrustctl(t, nil, strings.Fields(group)...)
			if code != 0 || !strings.Contains(stdout, "Available Commands") {
				t.Errorf("%s alone: exit %d, want 0 and its help", group, code)
			}
		})
	}
	for _, tt := range []struct{ args, want string }{
		{"key lst", "did you mean list?"},
		{"delegate ad example.com/app qa", "did you mean add?"},
		{"policy lnt policy.yaml", "did you mean lint?"},
		{"bundle x", "trustctl bundle --help"},
	} {
		code, _, stderr := runTrustctl(t, nil, strings.Fields(tt.args)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestEveryCommandErrorPaths runs error paths of every command through Execute: the
// exit code comes from the one table of internal/exitcode, and the message is one line.
// A command added without a row here fails the test.
func TestEveryCommandErrorPaths(t *testing.T) {
	trustDir := t.TempDir()
	empty := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(empty, []byte("services: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1: the server is unavailable, a trust data error.
	offline := []string{"-d", trustDir, "-s", "http://127.0.0.1:1"}
	tests := []struct {
		command string // the command path the row covers
		args    string
		want    int
		message string
	}{
		{"version", "version extra", 2, "usage: trustctl version"},
		{"completion", "completion tcsh", 2, `unknown shell "tcsh"`},
		{"key generate", "key generate Bad", 2, `key name "Bad"`},
		{"key import", "key import /nonexistent/key.pem --role qa", 2, "/nonexistent/key.pem"},
		{"key list", "key list extra", 2, "usage: trustctl key list"},
		{"key export", "key export 0123456789ab --output-file " + filepath.Join(trustDir, "out.key"), 2, "0123456789ab"},
		{"key passwd", "key passwd 0123456789ab", 2, "0123456789ab"},
		{"key remove", "key remove 0123456789ab --yes", 2, "0123456789ab"},
		{"key rotate", "key rotate example.com/app snapshot", 3, "notary server unavailable"},
		{"bundle inspect", "bundle inspect /nonexistent/bundle.zip", 2, "/nonexistent/bundle.zip"},
		{"inspect", "inspect example.com/app", 3, "example.com/app"},
		{"list", "list example.com/app", 3, "example.com/app"},
		{"verify", "verify " + empty + " --policy /nonexistent/policy.yaml", 2, "/nonexistent/policy.yaml"},
		{"policy lint", "policy lint /nonexistent/policy.yaml", 2, "/nonexistent/policy.yaml"},
		{"pin", "pin " + empty + " --policy /nonexistent/policy.yaml", 2, "/nonexistent/policy.yaml"},
		{"resolve", "resolve example.com/app:1", 3, "example.com/app"},
		{"policy pin", "policy pin /nonexistent/policy.yaml example.com/app", 2, "/nonexistent/policy.yaml"},
		{"policy explain", "policy explain /nonexistent/policy.yaml nginx", 2, "/nonexistent/policy.yaml"},
		{"init", "init example.com/app", 3, "notary server unavailable"},
		{"sign", "sign example.com/app:1@sha256:" + strings.Repeat("ab", 32) + " --size 10", 3, "notary server unavailable"},
		{"revoke", "revoke example.com/app:1", 3, "notary server unavailable"},
		{"delegate add", "delegate add example.com/app qa --cert /nonexistent/qa.crt", 2, "/nonexistent/qa.crt"},
		{"delegate list", "delegate list example.com/app --offline", 3, "example.com/app"},
		{"delegate remove", "delegate remove example.com/app qa --yes", 3, "notary server unavailable"},
		{"fetch", "fetch example.com/app", 3, "notary server unavailable"},
		{"migrate", "migrate example.com/app --to notation", 2, `--to "notation"`},
		{"verify-evidence", "verify-evidence example.com/app:1 --policy /nonexistent/policy.yaml", 2, "/nonexistent/policy.yaml"},
	}
	leaves, _ := commandTree(t)
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.command] = true
	}
	for _, leaf := range leaves {
		if !covered[leaf] {
			t.Errorf("command %q has no error path in this table", leaf)
		}
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runTrustctl(t, nil, append(offline, strings.Fields(tt.args)...)...)
			last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
			if code != tt.want || !strings.Contains(last, tt.message) || !strings.HasPrefix(last, "trustctl: ") {
				t.Errorf("%s: exit %d, stderr %q; want %d and a line with %q", tt.args, code, stderr, tt.want, tt.message)
			}
			// Every command refuses an unknown flag as a usage error naming it.
			code, _, stderr = runTrustctl(t, nil, append(strings.Fields(tt.command), "--no-such-flag")...)
			if code != 2 || !strings.Contains(stderr, tt.command+": unknown flag: --no-such-flag (usage: trustctl "+tt.command) {
				t.Errorf("%s --no-such-flag: exit %d, stderr %q; want 2 with the command's usage line", tt.command, code, stderr)
			}
		})
	}
}

// TestEveryCommandHasExamples walks the command tree: each command's help shows an
// Examples section whose lines run trustctl, and its usage names the command.
func TestEveryCommandHasExamples(t *testing.T) {
	leaves, groups := commandTree(t)
	for _, path := range append(append([]string{""}, groups...), leaves...) {
		code, stdout, _ := runTrustctl(t, nil, append(strings.Fields(path), "--help")...)
		_, examples, ok := strings.Cut(stdout, "\nExamples:\n")
		examples, _, _ = strings.Cut(examples, "\n\n")
		if code != 0 || !ok || !strings.HasPrefix(strings.TrimSpace(examples), "trustctl ") {
			t.Errorf("trustctl %s --help: exit %d, no Examples section running trustctl:\n%s", path, code, stdout)
		}
		if !strings.Contains(stdout, "Usage:\n  trustctl "+path) {
			t.Errorf("trustctl %s --help: the usage line does not name the command", path)
		}
	}
}

// TestOutputFormatEverywhere walks the command tree: -o json is accepted by the commands
// that print data and refused by every other one, never silently ignored.
func TestOutputFormatEverywhere(t *testing.T) {
	withFormats := map[string]bool{"list": true, "inspect": true, "key list": true, "delegate list": true,
		"policy explain": true, "bundle inspect": true, "resolve": true, "migrate": true, "verify-evidence": true}
	a := &app{streams: Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, getenv: os.Getenv, cfg: viper.New()}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.HasSubCommands() || !cmd.HasParent() {
			return
		}
		name := commandName(cmd)
		if err := cmd.ParseFlags([]string{"-o", "json"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err := checkOutput(cmd, "json")
		if withFormats[name] != (err == nil) {
			t.Errorf("%s -o json: %v; want it accepted only by %v", name, err, withFormats)
		}
		if err != nil && !strings.Contains(err.Error(), "has no output formats") {
			t.Errorf("%s -o json: %v", name, err)
		}
	}
	walk(a.rootCommand())
}

func TestAlreadyShown(t *testing.T) {
	summary := shown(errors.New("3 images: 1 passed, 2 failed"))
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"shown", summary, true},
		{"shown, with its exit code", exitcode.Mark(exitcode.ErrViolation, summary), true},
		{"shown, joined with nothing", errors.Join(summary, nil), true},
		{"joined with a new error", errors.Join(summary, errors.New("remove pinned.yml: permission denied")), false},
		{"wrapped with more words", fmt.Errorf("verify: %w", summary), false},
		{"not shown", errors.New("x"), false},
	}
	for _, tt := range tests {
		if got := alreadyShown(tt.err); got != tt.want {
			t.Errorf("%s: alreadyShown(%q) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
