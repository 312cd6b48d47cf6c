package pin

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzRewrite: whatever the file, Rewrite does not panic, and what it changes still
// parses and carries the digest.
func FuzzRewrite(f *testing.F) {
	if seed, err := os.ReadFile("testdata/stack.yml"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("services:\n  web: {image: \"a:1\"}\n"))
	f.Add([]byte("services:\n  web:\n    image: 'a:1' # c\n"))
	f.Add([]byte("x: &x\n  image: a\nservices:\n  web: *x\n"))
	digest := "sha256:" + strings.Repeat("a", 64)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		pins := map[string]string{"web": digest, "api": digest}
		out, _, err := Rewrite(data, pins)
		if err != nil {
			return
		}
		if bytes.Equal(out, data) {
			return
		}
		var after yaml.Node
		if err := yaml.Unmarshal(out, &after); err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "@"+digest) {
			t.Fatalf("changed, but no digest written:\n%s", out)
		}
	})
}
