package repo_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestOpenRefusesFIFO: a FIFO planted in the trust dir in place of a metadata file is
// refused at once; opening it used to wait for a writer forever.
func TestOpenRefusesFIFO(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	const gun = "registry.example.com/app"
	dir := tuftest.New(t, gun, at).TrustDir(t)
	mdir, err := dir.MetadataDir(gun)
	if err != nil {
		t.Fatal(err)
	}
	ts := filepath.Join(mdir, "timestamp.json")
	if err := os.Remove(ts); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(ts, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := repo.Open(dir, gun, repo.Options{Now: at})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fsread.ErrNotRegular) {
			t.Errorf("error %v, want %v", err, fsread.ErrNotRegular)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open blocks on a FIFO")
	}
}
