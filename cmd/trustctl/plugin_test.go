package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// installPlugin links this test binary as the docker CLI plugin docker-trusttest in a
// new docker config folder (docker 28's built-in trust would win over docker-trust) and
// returns that folder.
func installPlugin(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("docker CLI missing")
		}
		t.Skip("docker CLI missing")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	config := t.TempDir()
	plugins := filepath.Join(config, "cli-plugins")
	if err := os.Mkdir(plugins, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(plugins, "docker-trusttest")); err != nil {
		t.Fatal(err)
	}
	return config
}

// TestPluginStopsWhenDockerIsInterrupted: docker closes the plugin socket on its first
// interrupt; the plugin, waiting at revoke's y/N prompt on a stdin that stays open,
// must end so that docker can exit.
func TestPluginStopsWhenDockerIsInterrupted(t *testing.T) {
	config := installPlugin(t)
	cmd := exec.Command("docker", "trusttest", "revoke", "127.0.0.1:1/dev/app")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+config)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	prompt := make(chan string, 1)
	go func() {
		b, _ := bufio.NewReader(stdout).ReadString(']')
		prompt <- b
	}()
	select {
	case p := <-prompt:
		if !strings.Contains(p, "Confirm you would like to delete all signature data") {
			t.Fatalf("prompt %q", p)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no prompt")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("docker still waits for the plugin 10s after an interrupt: the plugin ignored the closed socket")
	}
}
