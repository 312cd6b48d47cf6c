package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	dockerconfig "github.com/docker/cli/cli/config"
	"github.com/spf13/viper"
)

// TestSettingPrecedence pins flag > TRUSTCTL_* variable > config file > default.
// DOCKER_CONFIG is read once per process by docker's package; the end-to-end scripts,
// one process each, cover it.
func TestSettingPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("trust-dir: /from/file\nserver: https://file.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	xdg := filepath.Join(dir, "xdg")
	if err := os.MkdirAll(filepath.Join(xdg, "trustctl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(xdg, "trustctl", "config.yaml"), []byte("trust-dir: /from/xdg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantDir    string
		wantServer string
	}{
		{"default", nil, nil, filepath.Join(dockerconfig.Dir(), "trust"), ""},
		{"docker server variable", nil, map[string]string{"DOCKER_CONTENT_TRUST_SERVER": "https://dct.example"}, filepath.Join(dockerconfig.Dir(), "trust"), "https://dct.example"},
		{"xdg config file", nil, map[string]string{"XDG_CONFIG_HOME": xdg}, "/from/xdg", ""},
		{"config file", []string{"--config", cfg}, nil, "/from/file", "https://file.example"},
		{"env over file", []string{"--config", cfg}, map[string]string{"TRUSTCTL_TRUST_DIR": "/from/env", "TRUSTCTL_SERVER": "https://env.example"}, "/from/env", "https://env.example"},
		{"flag over env", []string{"--config", cfg, "-d", "/from/flag", "-s", "https://flag.example"}, map[string]string{"TRUSTCTL_TRUST_DIR": "/from/env"}, "/from/flag", "https://flag.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "none"))
			for _, k := range []string{"TRUSTCTL_TRUST_DIR", "TRUSTCTL_SERVER", "DOCKER_CONTENT_TRUST_SERVER"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			a := &app{streams: Streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, getenv: os.Getenv}
			a.cfg = viper.New()
			root := a.rootCommand()
			root.SetArgs(append([]string{"version"}, tt.args...))
			root.SetOut(&bytes.Buffer{})
			if err := root.ExecuteContext(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := a.trustDir(); got != tt.wantDir {
				t.Errorf("trust dir = %q, want %q", got, tt.wantDir)
			}
			if got := a.server(); got != tt.wantServer {
				t.Errorf("server = %q, want %q", got, tt.wantServer)
			}
		})
	}
}
