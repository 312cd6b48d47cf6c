package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/fsread"
)

// TestLoadRefusesHostileGraphs: what would keep compose-go busy for minutes is refused
// at once, naming file and line.
func TestLoadRefusesHostileGraphs(t *testing.T) {
	var wide, bomb, many strings.Builder
	wide.WriteString("services:\n  web:\n    image: nginx\n    labels:\n")
	for i := range maxMappingKeys + 1 {
		fmt.Fprintf(&wide, "      k%d: v\n", i)
	}
	// Ten levels of ten aliases each: 10^10 nodes once expanded.
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	bomb.WriteString("services: {web: {image: nginx}}\n")
	many.WriteString("services: {web: {image: nginx}}\nx-many:\n")
	for range maxNodes / 4 {
		many.WriteString("  - [a, b, c]\n")
	}
	tests := []struct {
		name, content, want string
	}{
		{"self-containing anchor", "x: &a\n  <<: *a\nservices: {web: {image: nginx}}\n", "stack.yml:2: anchor 'a' value contains itself"},
		{"anchor in a sequence that contains itself", "x: &a [1, *a]\n", "stack.yml:1: anchor 'a' value contains itself"},
		{"duplicate key", "services:\n  web:\n    image: nginx\n  web:\n    image: x\n", `stack.yml:4: mapping key "web" already defined at line 2`},
		{"wide mapping", wide.String(), fmt.Sprintf("stack.yml:5: a mapping of more than %d keys", maxMappingKeys)},
		{"alias bomb", bomb.String(), fmt.Sprintf("aliases expand to more than %d nodes", maxExpandedNodes)},
		{"too many nodes", many.String(), fmt.Sprintf("more than %d YAML nodes", maxNodes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "stack.yml")
			if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := Load(context.Background(), []string{file}, Options{Environ: []string{}})
			if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an input error containing %q", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refused after %v", d)
			}
		})
	}
}

// TestLoadRefusesNonRegularFiles: a FIFO, a device or an oversized file as a stack or
// env file is refused without blocking.
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, []byte("services: {web: {image: nginx}}\n"+strings.Repeat("#\n", fsread.StackLimit)), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "ok.yml")
	if err := os.WriteFile(ok, []byte("services: {web: {image: nginx}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []string
		env   []string
		want  string
	}{
		{"FIFO", []string{fifo}, nil, "fifo.yml: not a regular file (a FIFO)"},
		{"device", []string{"/dev/zero"}, nil, "/dev/zero: not a regular file (a character device)"},
		{"too large", []string{big}, nil, "big.yml: file too large"},
		{"FIFO env file", []string{ok}, []string{fifo}, "fifo.yml: not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Load(context.Background(), tt.files, Options{Environ: []string{}, EnvFiles: tt.env})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want an input error containing %q", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocks")
			}
		})
	}
}

// wideStack is a stack of about size bytes: services with many labels, as wide as a
// mapping may be, the shape that made the old check (yaml's pairwise key comparison)
// quadratic.
func wideStack(size int) []byte {
	var b strings.Builder
	b.WriteString("services:\n")
	for s := 0; b.Len() < size; s++ {
		fmt.Fprintf(&b, "  s%d:\n    image: registry.example.com/app%d:1\n    labels:\n", s, s)
		for i := 0; i < maxMappingKeys-1 && b.Len() < size; i++ {
			fmt.Fprintf(&b, "      label%d: value\n", i)
		}
	}
	return []byte(b.String())
}

// TestParseFileLinear: the checks before compose-go take time linear in the file; a
// 2 MB stack took 42 s and more with yaml's decoder.
func TestParseFileLinear(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stack.yml")
	if err := os.WriteFile(file, wideStack(2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := parseFile(file, filepath.Dir(file)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("parsing a 2 MB stack took %v", d)
	}
}

func BenchmarkParseFile2MB(b *testing.B) {
	file := filepath.Join(b.TempDir(), "stack.yml")
	data := wideStack(2 << 20)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseFile(file, filepath.Dir(file)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoadRefusesNonRegularReferences: files that extends and include name are checked
// before compose-go reads them whole: /dev/zero exhausted its memory, a FIFO blocked it.
func TestLoadRefusesNonRegularReferences(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yml"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stack, other string // other is written to other.yml
		want               string
	}{
		{"extends /dev/zero", "services:\n  web:\n    extends: {file: /dev/zero, service: web}\n", "",
			"stack.yml:3: extends.file /dev/zero: not a regular file (a character device)"},
		{"extends a FIFO through a variable", "services:\n  web:\n    extends:\n      file: ${BASE}\n      service: web\n", "",
			"stack.yml:4: extends.file fifo.yml: not a regular file (a FIFO)"},
		{"extends a FIFO through a variable of .env", "services:\n  web:\n    extends:\n      file: ${DOTENV_BASE}\n      service: web\n", "",
			"stack.yml:4: extends.file fifo.yml: not a regular file (a FIFO)"},
		{"include /dev/zero", "include:\n  - /dev/zero\nservices:\n  web: {image: nginx}\n", "",
			"stack.yml:2: include /dev/zero: not a regular file"},
		{"include env_file", "include:\n  - path: other.yml\n    env_file: [/dev/zero]\nservices:\n  web: {image: nginx}\n", "services:\n  db: {image: postgres}\n",
			"stack.yml:3: include env_file /dev/zero: not a regular file"},
		{"extends chain", "services:\n  web:\n    extends: {file: other.yml, service: web}\n", "services:\n  web:\n    extends: {file: fifo.yml, service: web}\n",
			"other.yml:3: extends.file fifo.yml: not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "stack.yml")
			if err := os.WriteFile(file, []byte(tt.stack), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "other.yml"), []byte(tt.other), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DOTENV_BASE=fifo.yml\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(context.Background(), []string{file}, Options{Mode: ModeCompose, Environ: []string{"BASE=fifo.yml"}})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want an input error containing %q", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocks")
			}
		})
	}
}
