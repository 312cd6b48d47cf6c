package store

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockRefusesPlantedFiles: a symlink or a FIFO in place of the lock file is
// refused at once; the symlink's target is never created.
func TestLockRefusesPlantedFiles(t *testing.T) {
	for name, plant := range map[string]func(path, victim string) error{
		"symlink": func(path, victim string) error { return os.Symlink(victim, path) },
		"FIFO":    func(path, _ string) error { return syscall.Mkfifo(path, 0o600) },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			victim := filepath.Join(t.TempDir(), "victim")
			if err := plant(filepath.Join(root, lockName), victim); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				unlock, err := Dir{Root: root}.Lock()
				if err == nil {
					unlock()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "lock trust dir") {
					t.Errorf("Lock: %v, want a refusal", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Lock blocks")
			}
			if _, err := os.Lstat(victim); !os.IsNotExist(err) {
				t.Errorf("the symlink's target was created: %v", err)
			}
		})
	}
}

func TestPermissionWarnings(t *testing.T) {
	root := t.TempDir()
	d := Dir{Root: root}
	if err := os.MkdirAll(d.PrivateDir(), DirPerm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, DirPerm); err != nil {
		t.Fatal(err)
	}
	if w := d.PermissionWarnings(); len(w) != 0 {
		t.Errorf("0700 folders: %q", w)
	}
	for _, mode := range []os.FileMode{0o770, 0o707, 0o777} {
		if err := os.Chmod(d.PrivateDir(), mode); err != nil {
			t.Fatal(err)
		}
		w := d.PermissionWarnings()
		if len(w) != 1 || !strings.Contains(w[0], d.PrivateDir()+": permissions") {
			t.Errorf("private/ %04o: %q", mode, w)
		}
	}
	if w := (Dir{Root: filepath.Join(root, "missing")}).PermissionWarnings(); len(w) != 0 {
		t.Errorf("missing trust dir: %q", w)
	}
}
