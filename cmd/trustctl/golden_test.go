package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// goldenSide is one of the two runs of a golden comparison: docker 28's built-in
// `docker trust` or trustctl as the plugin (`docker-trust trust`, the argv docker ≥ 29
// passes).
type goldenSide struct {
	name, exe, config, gun string
}

// goldenEnv are the variables the compared commands see, besides DOCKER_CONFIG.
var goldenEnv = []string{"PATH", "HOME", "TMPDIR", "DOCKER_CONTENT_TRUST_SERVER",
	"DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"}

// goldenTrust [-stdin FILE] [-code N] ARGS… runs `docker trust ARGS` (DOCKER_CONFIG
// $WORK/docker, repository $GUN_DOCKER or $GUN) and `docker-trust trust ARGS`
// (DOCKER_CONFIG $WORK/plugin, repository $GUN_PLUGIN or $GUN); @GUN and @CONFIG in
// ARGS stand for each side's. Stdout, stderr and the exit status must be the same once
// each side's repository and config folder read @GUN and @CONFIG; docker's are then
// the command's stdout and stderr for the usual assertions.
func goldenTrust(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: golden-trust [-stdin FILE] [-code N] ARGS...")
	}
	var stdin string
	code := -1
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-stdin":
			stdin = ts.ReadFile(args[1])
		case "-code":
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			code = n
		default:
			ts.Fatalf("golden-trust: unknown option %s", args[0])
		}
		args = args[2:]
	}
	gun := func(key string) string {
		if g := ts.Getenv(key); g != "" {
			return g
		}
		return ts.Getenv("GUN")
	}
	work := ts.Getenv("WORK")
	sides := []goldenSide{
		{"docker", "docker", work + "/docker", gun("GUN_DOCKER")},
		{"plugin", "docker-trust", work + "/plugin", gun("GUN_PLUGIN")},
	}
	type result struct {
		stdout, stderr string
		code           int
	}
	var results []result
	for _, s := range sides {
		argv := []string{"trust"}
		for _, a := range args {
			a = strings.ReplaceAll(a, "@CONFIG", s.config)
			if s.gun != "" {
				a = strings.ReplaceAll(a, "@GUN", s.gun)
			}
			argv = append(argv, a)
		}
		path, err := exec.LookPath(s.exe)
		if s.exe == "docker-trust" {
			path, err = lookPathIn(ts.Getenv("PATH"), s.exe)
		}
		ts.Check(err)
		cmd := exec.Command(path, argv...)
		cmd.Dir = work
		cmd.Env = []string{"DOCKER_CONFIG=" + s.config}
		for _, k := range goldenEnv {
			if v := ts.Getenv(k); v != "" {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err = cmd.Run()
		r := result{}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			r.code = exit.ExitCode()
		case err != nil:
			ts.Fatalf("%s: %v", s.name, err)
		}
		norm := func(b string) string {
			b = strings.ReplaceAll(b, s.config, "@CONFIG")
			if s.gun != "" {
				b = strings.ReplaceAll(b, s.gun, "@GUN")
			}
			return b
		}
		r.stdout, r.stderr = norm(out.String()), norm(errb.String())
		ts.Logf("%s trust %s: exit %d\n[stdout]\n%s[stderr]\n%s", s.name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
		results = append(results, r)
	}
	d, p := results[0], results[1]
	if d != p {
		ts.Fatalf("docker and plugin differ:\n--- docker (exit %d)\n[stdout]\n%s[stderr]\n%s--- plugin (exit %d)\n[stdout]\n%s[stderr]\n%s",
			d.code, d.stdout, d.stderr, p.code, p.stdout, p.stderr)
	}
	if code >= 0 && d.code != code {
		ts.Fatalf("both exited %d, want %d", d.code, code)
	}
	fmt.Fprint(ts.Stdout(), d.stdout)
	fmt.Fprint(ts.Stderr(), d.stderr)
}

// lookPathIn finds exe in a PATH list (the script's, which holds the test binary's
// command links).
func lookPathIn(path, exe string) (string, error) {
	for _, dir := range strings.Split(path, string(os.PathListSeparator)) {
		p := dir + string(os.PathSeparator) + exe
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not in PATH", exe)
}

// docExamples FILE OUT writes the ```sh blocks of a markdown file to the shell script
// OUT (set -e), so that a document's examples run as they are written.
func docExamples(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: doc-examples FILE OUT")
	}
	var script strings.Builder
	script.WriteString("set -ex\n")
	in := false
	blocks := 0
	for line := range strings.Lines(ts.ReadFile(args[0])) {
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in = true
			blocks++
		case in && strings.TrimSpace(line) == "```":
			in = false
		case in:
			script.WriteString(line)
		}
	}
	if blocks == 0 {
		ts.Fatalf("%s has no sh examples", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(script.String()), 0o600))
}
