package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalStopsBlockedRead: SIGINT and SIGTERM end trustctl even while a read that
// cannot be interrupted blocks it: here compose-go opens a FIFO that an extends names
// through a variable of .env (which trustctl's own check of referenced files does not
// interpolate), and no writer ever comes.
func TestSignalStopsBlockedRead(t *testing.T) {
	bin, err := exec.LookPath("trustctl") // testscript.Main put it on PATH
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			if err := syscall.Mkfifo(filepath.Join(dir, "base.yml"), 0o600); err != nil {
				t.Fatal(err)
			}
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("policy.yml", "version: 1\ndefault: {require: none}\n")
			write(".env", "BASE=base.yml\n")
			write("stack.yml", "services:\n  web:\n    extends: {file: \"${BASE}\", service: web}\n")
			cmd := exec.Command(bin, "verify", "stack.yml", "--mode", "compose", "--policy", "policy.yml", "-d", filepath.Join(dir, "trust"))
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Fatalf("trustctl ended before the signal: %v: %s", err, stderr.String())
			case <-time.After(500 * time.Millisecond):
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != tt.code {
					t.Errorf("exit %v, want code %d", err, tt.code)
				}
				if !strings.Contains(stderr.String(), "trustctl: stopped by") {
					t.Errorf("stderr %q", stderr.String())
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("trustctl still runs 15 s after %v", tt.sig)
			}
		})
	}
}
