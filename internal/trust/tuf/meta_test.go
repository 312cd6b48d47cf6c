package tuf

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckDeterministic: data matching neither hash is reported by sha256 every time,
// not by whichever algorithm map order visits first.
func TestCheckDeterministic(t *testing.T) {
	m := NewFileMeta([]byte("recorded"))
	for range 100 {
		err := m.Check([]byte("tampered"))
		if !errors.Is(err, ErrHashMismatch) || !strings.Contains(err.Error(), "sha256 differs") {
			t.Fatalf("got %v", err)
		}
	}
}
