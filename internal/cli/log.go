package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// newLogger is the logger of --log-level and --log-format: lines for people by default
// ("trustctl: warning: …"), slog's JSON for machines.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	switch format {
	case "text":
		return slog.New(&humanHandler{w: w, level: l, mu: &sync.Mutex{}}), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// humanHandler writes a record as one line, `trustctl: warning: message (key=value, …)`,
// without time or level keys: stderr is for people, as cosign's WARNING: lines are.
type humanHandler struct {
	w      io.Writer
	level  slog.Level
	attrs  []slog.Attr
	prefix string // group names, "group."
	mu     *sync.Mutex
}

func (h *humanHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *humanHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("trustctl: ")
	b.WriteString(levelWord(r.Level))
	b.WriteString(": ")
	b.WriteString(oneLine(r.Message))
	var details []string
	add := func(a slog.Attr) bool {
		details = appendAttr(details, h.prefix, a)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// appendAttr renders key=value, quoting values with spaces; groups flatten to g.key.
func appendAttr(out []string, prefix string, a slog.Attr) []string {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return out
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			out = appendAttr(out, p, g)
		}
		return out
	}
	v := oneLine(a.Value.String())
	if v == "" || strings.ContainsAny(v, " \",=()") {
		v = strconv.Quote(v)
	}
	return append(out, prefix+a.Key+"="+v)
}

func (h *humanHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *humanHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix += name + "."
	return &c
}

func levelWord(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}
