package registry

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/fsread"
)

// TestTLSConfigRefusesNonRegularFiles: a FIFO or a device given as --tlscacert, as a
// client certificate or in docker's per-host TLS folder is refused at once, never read
// until a writer comes or memory runs out.
func TestTLSConfigRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	hostDir := filepath.Join(dir, "config", "tls", "registry.example.com")
	if err := os.MkdirAll(hostDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(hostDir, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]TLS{
		"--tlscacert FIFO":             {CAFile: fifo},
		"--tlscacert device":           {CAFile: "/dev/zero"},
		"client certificate FIFO":      {ClientCert: fifo, ClientKey: fifo},
		"per-host CA that is a device": {DockerConfigDir: filepath.Join(dir, "config")},
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := TLSConfig("registry.example.com", o)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, fsread.ErrNotRegular) {
					t.Errorf("TLSConfig: %v, want a not-a-regular-file error", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("TLSConfig blocked")
			}
		})
	}
}
