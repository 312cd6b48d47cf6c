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

// TestSignalStopsBlockedOpen: SIGINT and SIGTERM end trustctl even while a system call
// that cannot be interrupted blocks it: here verify writes its report through a FIFO,
// as a shell's > would, and no reader ever comes, so opening it waits forever.
func TestSignalStopsBlockedOpen(t *testing.T) {
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
			if err := syscall.Mkfifo(filepath.Join(dir, "report.fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("policy.yml", "version: 1\ndefault: {require: none}\n")
			write("stack.yml", "services:\n  web:\n    image: registry.example.com/app:1\n")
			cmd := exec.Command(bin, "verify", "stack.yml", "--policy", "policy.yml", "-d", filepath.Join(dir, "trust"), "--format", "json", "--output-file", "report.fifo")
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
