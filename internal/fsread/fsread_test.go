package fsread

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		limit int64
		want  error  // nil: reads "12345"
		msg   string // substring of the error
	}{
		{small, 5, nil, ""},
		{link, 5, nil, ""},
		{small, 4, ErrTooLarge, "small: file too large (over 4 bytes)"},
		{fifo, 5, ErrNotRegular, "fifo: not a regular file (a FIFO)"},
		{"/dev/null", 5, ErrNotRegular, "a character device"},
		{"/dev/zero", 5, ErrNotRegular, "a character device"},
		{dir, 5, ErrNotRegular, "a directory"},
		{filepath.Join(dir, "missing"), 5, os.ErrNotExist, "missing"},
	}
	for _, tt := range tests {
		done := make(chan struct{})
		var data []byte
		var err error
		go func() {
			data, err = ReadFile(tt.path, tt.limit)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%s) blocks", tt.path)
		}
		if tt.want == nil {
			if err != nil || string(data) != "12345" {
				t.Errorf("ReadFile(%s) = %q, %v", tt.path, data, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ReadFile(%s) error %v, want %v containing %q", tt.path, err, tt.want, tt.msg)
		}
	}
}
