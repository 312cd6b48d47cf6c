package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/fsread"
)

// TestLoadRefusesNonRegularFiles: a policy, a member certificate or a CA file that is
// a FIFO, a device or too large is refused at once, as an invalid policy naming it.
func TestLoadRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.yml", "version: 1\n"+strings.Repeat("#\n", fsread.PolicyLimit))
	member := write("member.yml", "version: 1\nteams:\n  qa:\n    members: [fifo]\n")
	zeroMember := write("zero.yml", "version: 1\nteams:\n  qa:\n    members: [/dev/zero]\n")
	ca := write("ca.yml", "version: 1\ntrust:\n  pins:\n    - match: r.io/**\n      ca: fifo\n")
	tests := []struct {
		path, want string
	}{
		{fifo, "fifo: not a regular file (a FIFO)"},
		{"/dev/zero", "/dev/zero: not a regular file (a character device)"},
		{big, "big.yml: file too large"},
		{member, "member.yml:4: teams.qa.members[0]: open " + fifo + ": not a regular file (a FIFO)"},
		{zeroMember, "zero.yml:4: teams.qa.members[0]: open /dev/zero: not a regular file"},
		{ca, "ca.yml:5: trust.pins[0].ca: open " + fifo + ": not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := Load(tt.path)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s) error %v, want one containing %q", tt.path, err, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%s) blocks", tt.path)
		}
	}
}
