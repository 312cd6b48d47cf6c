package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/store"
)

const (
	aliceID      = "3bedec58b0d2f06d74aeb9af56b151219c58cc33d1852ea7892696efbce87d77"
	bobID        = "ab10d8615b7ef7575c62e689512ec35bb525aa099a320b6709672fb7a058fd62"
	rootID       = "2fa19b22d3c54e3956100d52ef4310c74ceb5561f8bdfb8cfb51497e1faa7aa4"
	targetsID    = "d089e9ec0abbacae795b4c61242065da0022abd70d56b49f74ae4ed9f1b53c41"
	appTargetsID = "d40195cd0e36147f0429d185e490507f90f5410e9d8d57c7cd41091c0ba24d68"
	appSnapID    = "da570c5e8115911a54995dfaead483e9569193185bf0bb4198c00e28ba0d58bb"
	mainGUN      = "127.0.0.1:5000/dev/nginx"
	appGUN       = "registry.example.com/dev/app"
)

// sourceFunc adapts a function to PassphraseSource.
type sourceFunc func(alias, keyID string, newKey bool, attempt int) (string, error)

func (f sourceFunc) Passphrase(alias, keyID string, newKey bool, attempt int) (string, error) {
	return f(alias, keyID, newKey, attempt)
}

func (f sourceFunc) NewPassphrase(alias, keyID string) (string, error) {
	return f(alias, keyID, true, 0)
}

// envSource reads passphrases from a fixed environment, without a prompter.
func envSource(env map[string]string) PassphraseSource {
	return NewPassphraseSource(func(k string) string { return env[k] }, nil)
}

// allVars sets every passphrase variable to pass.
func allVars(pass string) PassphraseSource {
	return NewPassphraseSource(func(string) string { return pass }, nil)
}

var fixturePass = allVars(testenv.FixturePassphrase)

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.Fixtures(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// treeState records every file's mode and content digest and every folder's mode, to
// prove that an operation left a trust dir as it was.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			state[rel] = fi.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		state[rel] = fmt.Sprintf("%v %x", fi.Mode(), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func assertUnchanged(t *testing.T, root string, before map[string]string) {
	t.Helper()
	if after := treeState(t, root); !reflect.DeepEqual(before, after) {
		t.Errorf("trust dir changed:\nbefore %v\nafter  %v", before, after)
	}
}

// newStore is an empty store in a temporary trust dir.
func newStore(t *testing.T, pass PassphraseSource) (*Store, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "trust")
	return Open(store.Dir{Root: root}, pass), root
}

var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	must := func(k crypto.Signer, err error) crypto.Signer {
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{
		"ecdsa-p256": must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		"ecdsa-p384": must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)),
		"ecdsa-p521": must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader)),
		"rsa-2048":   must(rsa.GenerateKey(rand.Reader, 2048)),
		"ed25519":    ed,
	}
})

func sameKey(a, b crypto.Signer) bool {
	eq, ok := a.(interface{ Equal(crypto.PrivateKey) bool })
	return ok && eq.Equal(b)
}

func pemBlock(t string, h map[string]string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: t, Headers: h, Bytes: der})
}
