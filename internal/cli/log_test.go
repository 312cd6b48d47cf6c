package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
)

// TestHumanLog pins the form of warnings: one line, `trustctl: warning: …`, no time.
func TestHumanLog(t *testing.T) {
	tests := []struct {
		name  string
		level string
		log   func(*slog.Logger)
		want  string
	}{
		{"warning on one line", "warn", func(l *slog.Logger) {
			l.Warn("root not pinned", "repository", "example.com/app", "reason", "two\nlines")
		},
			"trustctl: warning: root not pinned (repository=example.com/app, reason=\"two lines\")\n"},
		{"debug hidden at warn", "warn", func(l *slog.Logger) { l.Debug("GET", "url", "https://x/v2/") }, ""},
		{"debug shown at debug", "debug", func(l *slog.Logger) { l.Debug("GET", "url", "https://x/v2/") }, "trustctl: debug: GET (url=https://x/v2/)\n"},
		{"group and error", "info", func(l *slog.Logger) {
			l.WithGroup("server").Error("publish failed", "attempt", 2, "error", errors.New("refused: no"))
		},
			"trustctl: error: publish failed (server.attempt=2, server.error=\"refused: no\")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tt.level, "text")
			if err != nil {
				t.Fatal(err)
			}
			tt.log(log)
			if got := buf.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
