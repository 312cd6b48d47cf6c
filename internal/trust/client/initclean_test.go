package client_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/client"
)

// TestInitFailureLeavesNoKey: an init that fails after making its keys (here the
// server will not give its timestamp key) removes them; nothing refers to them.
func TestInitFailureLeavesNoKey(t *testing.T) {
	e := newEnv(t)
	p := newProxy(t, e)
	p.set(on(http.MethodGet, "/timestamp.key", status(http.StatusInternalServerError, `{"errors":[{"code":"UNKNOWN"}]}`)))
	dir := t.TempDir()
	r := e.repoVia(t, p.URL, dir, "127.0.0.1:5000/dev/initclean", 2*time.Second, passphrases)
	if _, err := r.Init(ctx(t), client.InitOptions{LocalSnapshot: true}); err == nil {
		t.Fatal("init succeeded")
	}
	entries, err := os.ReadDir(filepath.Join(dir, "private"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("private/%s left behind", e.Name())
	}
}
