package keys

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
)

// FuzzParsePrivateKey feeds PEM text and raw DER to the parsers: they must never panic,
// and whatever parses must survive a write/read round trip.
func FuzzParsePrivateKey(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(testenv.Fixtures(), "trust-*", "private", "*.key"))
	more, _ := filepath.Glob(filepath.Join(testenv.Fixtures(), "users", "*", "key.pem"))
	seeds = append(seeds, more...)
	more, _ = filepath.Glob(filepath.Join("testdata", "*.p8"))
	seeds = append(seeds, more...)
	more, _ = filepath.Glob(filepath.Join("testdata", "*.pem"))
	seeds = append(seeds, more...)
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, testenv.FixturePassphrase)
		if b, _ := pem.Decode(data); b != nil {
			f.Add(b.Bytes, testenv.FixturePassphrase)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		_, _ = parsePKCS8(data)
		_, _ = decryptPKCS8(data, pass)
		rest := data
		for range 4 {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return
			}
			_ = isEncrypted(b)
			key, err := parseBlock(b, pass)
			if err != nil {
				continue
			}
			plain, err := marshalNotaryPKCS8(key)
			if err != nil {
				t.Fatalf("parsed %T does not marshal: %v", key, err)
			}
			back, err := parsePKCS8(plain)
			if err != nil {
				t.Fatalf("written %T does not parse: %v", key, err)
			}
			if again, err := checkKey(back); err != nil || !sameKey(again, key) {
				t.Fatalf("round trip changed the key: %v", err)
			}
		}
	})
}
