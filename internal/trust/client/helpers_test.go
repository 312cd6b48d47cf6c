package client_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
)

const testPass = "interop-pass"

func passphrases(string) string { return testPass }

// env is a notary server and a trust dir.
type env struct {
	t   *testing.T
	srv *testenv.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{t: t, srv: testenv.StartServer(t)}
}

// repo opens gun in trustDir against the server.
func (e *env) repo(trustDir, gun string) *client.Repository {
	e.t.Helper()
	rc, err := server.New(e.srv.URL, gun, server.Options{CAFile: e.srv.CAFile, Timeout: 30 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	dir := store.Dir{Root: trustDir}
	return client.New(dir, gun, keys.Open(dir, keys.NewPassphraseSource(passphrases, nil)), rc, client.Options{})
}

// notary runs the reference notary client on trustDir.
func (e *env) notary(trustDir string, args ...string) string {
	e.t.Helper()
	args = append([]string{"-s", e.srv.URL, "--tlscacert", e.srv.CAFile, "-d", trustDir}, args...)
	cmd := exec.Command(testenv.RefBin(e.t, "notary"), args...)
	cmd.Env = append(os.Environ(), "NOTARY_ROOT_PASSPHRASE="+testPass, "NOTARY_TARGETS_PASSPHRASE="+testPass,
		"NOTARY_SNAPSHOT_PASSPHRASE="+testPass, "NOTARY_DELEGATION_PASSPHRASE="+testPass)
	cmd.Stdin = strings.NewReader("yes\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("notary %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
