package tuf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// FuzzParseEnvelope feeds arbitrary bytes to the envelope parser, the canonical encoder
// and the metadata types: errors are fine, panics are not, and re-encoding what parsed
// is stable.
func FuzzParseEnvelope(f *testing.F) {
	for _, name := range []string{"root.json", "targets.json", "snapshot.json", "timestamp.json", "targets/releases.json"} {
		data, err := os.ReadFile(filepath.Join(testenv.Fixtures(), "trust-admin/tuf/127.0.0.1:5000/dev/nginx/metadata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"signed":{"_type":"Targets","n":1e2,"x":[[[]]],"s":"<\u2028>"},"signatures":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := tuf.ParseEnvelope(data)
		if err != nil {
			return
		}
		for _, v := range []any{new(tuf.Root), new(tuf.Targets), new(tuf.Snapshot), new(tuf.Timestamp)} {
			_ = json.Unmarshal(env.Signed, v)
		}
		file, err := env.MarshalFile()
		if err != nil {
			return
		}
		again, err := tuf.ParseEnvelope(file)
		if err != nil {
			t.Fatalf("re-encoded file does not parse: %v\n%s", err, file)
		}
		file2, err := again.MarshalFile()
		if err != nil || !bytes.Equal(file, file2) {
			t.Fatalf("re-encoding is not stable: %v\n%s\n%s", err, file, file2)
		}
	})
}
