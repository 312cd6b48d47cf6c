package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trustctl/trustctl/internal/testenv"
)

// scriptTB lets testenv start servers for a script: failures fail the script, cleanups
// run when it ends. The embedded nil testing.TB only supplies the unexported method.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (s scriptTB) Helper()                           {}
func (s scriptTB) Fatal(args ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Fatalf(format string, args ...any) { s.ts.Fatalf(format, args...) }
func (s scriptTB) Skipf(format string, args ...any)  { s.ts.Fatalf(format, args...) }
func (s scriptTB) Cleanup(f func())                  { s.ts.Defer(f) }
func (s scriptTB) Logf(format string, args ...any)   { s.ts.Logf(format, args...) }

func (s scriptTB) TempDir() string {
	d, err := os.MkdirTemp(s.ts.Getenv("WORK"), "srv")
	if err != nil {
		s.ts.Fatalf("%v", err)
	}
	return d
}

// registries of the running scripts (*testscript.TestScript → *testenv.Registry), for
// push-image; scripts run in parallel.
var registries sync.Map

// startServers starts notary-server-fixed + notary-signer (TLS) and a registry, and
// sets SERVER (https URL), SERVER_HOST (its host:port), CA (its CA file) and REGISTRY
// (host:port).
func startServers(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: start-servers")
	}
	tb := scriptTB{ts: ts}
	srv := testenv.StartServer(tb)
	reg := testenv.StartRegistry(tb)
	registries.Store(ts, reg)
	ts.Defer(func() { registries.Delete(ts) })
	ts.Setenv("SERVER", srv.URL)
	ts.Setenv("CA", srv.CAFile)
	ts.Setenv("SERVER_DIR", srv.Dir)
	ts.Setenv("SERVER_HOST", strings.TrimPrefix(srv.URL, "https://"))
	ts.Setenv("REGISTRY", reg.Host)
}

// pushImage REPO TAG pushes a tiny image to the script's registry (REPO without the
// host) and sets DIGEST (sha256:…), DIGEST_HEX and SIZE.
func pushImage(ts *testscript.TestScript, neg bool, args []string) {
	reg, ok := registries.Load(ts)
	if neg || len(args) != 2 || !ok {
		ts.Fatalf("usage: push-image REPO TAG (after start-servers)")
	}
	img := reg.(*testenv.Registry).Push(scriptTB{ts: ts}, args[0], args[1])
	ts.Setenv("DIGEST", img.Digest)
	ts.Setenv("DIGEST_HEX", strings.TrimPrefix(img.Digest, "sha256:"))
	ts.Setenv("SIZE", strconv.FormatInt(img.Size, 10))
}
