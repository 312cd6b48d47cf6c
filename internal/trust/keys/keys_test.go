package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func TestListTrustAdmin(t *testing.T) {
	dir := filepath.Join(testenv.Fixtures(), "trust-admin")
	priv := filepath.Join(dir, "private")
	got, err := Open(store.Dir{Root: dir}, nil).List()
	if err != nil {
		t.Fatal(err)
	}
	// The order `notary key list` printed for this folder.
	want := []Info{
		{ID: rootID, Role: "root", Path: filepath.Join(priv, rootID+".key")},
		{ID: targetsID, Role: "targets", GUN: mainGUN, Path: filepath.Join(priv, targetsID+".key")},
		{ID: appSnapID, Role: "snapshot", GUN: appGUN, Path: filepath.Join(priv, appSnapID+".key")},
		{ID: appTargetsID, Role: "targets", GUN: appGUN, Path: filepath.Join(priv, appTargetsID+".key")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List:\n got %v\nwant %v", got, want)
	}
}

// Every key file of the reference run decrypts, holds the key its name says, and
// reading leaves the folders untouched.
func TestFixtureKeysDecrypt(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(testenv.Fixtures(), "*", "private"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(testenv.Fixtures(), "*", "*", "trust", "private"))
	dirs = append(dirs, more...)
	if len(dirs) < 5 {
		t.Fatalf("found only %v", dirs)
	}
	for _, priv := range dirs {
		root := filepath.Dir(priv)
		t.Run(strings.TrimPrefix(root, testenv.Fixtures()), func(t *testing.T) {
			before := treeState(t, root)
			s := Open(store.Dir{Root: root}, fixturePass)
			list, err := s.List()
			if err != nil || len(list) == 0 {
				t.Fatalf("List = %v, %v", list, err)
			}
			for _, info := range list {
				key, got, err := s.PrivateKey(info.ID)
				if err != nil {
					t.Errorf("%s: %v", info.ID, err)
					continue
				}
				if got != info {
					t.Errorf("PrivateKey info %v, List %v", got, info)
				}
				pub, _ := tuf.PublicKeyFromCrypto(key.Public())
				if pub.ID() != info.ID {
					t.Errorf("%s holds %s", info.ID, pub.ID())
				}
				exported, err := s.Export(info.ID)
				if err != nil {
					t.Fatal(err)
				}
				if onDisk, _ := os.ReadFile(info.Path); string(onDisk) != string(exported) {
					t.Errorf("Export(%s) differs from the file", info.ID)
				}
			}
			assertUnchanged(t, root, before)
		})
	}
}

// checkWritten asserts the exact format notary writes.
func checkWritten(t *testing.T, path, role, gun, pass string, key crypto.Signer) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v", path, fi.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("%s mode %v", filepath.Dir(path), di.Mode())
	}
	data, _ := os.ReadFile(path)
	block, rest := pem.Decode(data)
	if block == nil || len(rest) != 0 || block.Type != "ENCRYPTED PRIVATE KEY" {
		t.Fatalf("%s: not one ENCRYPTED PRIVATE KEY block:\n%s", path, data)
	}
	wantHeaders := map[string]string{"role": role}
	if gun != "" {
		wantHeaders["gun"] = gun
	}
	if !reflect.DeepEqual(block.Headers, wantHeaders) {
		t.Errorf("headers %v, want %v", block.Headers, wantHeaders)
	}
	var info encryptedPrivateKeyInfo
	var params pbes2Params
	var kdf pbkdf2Written
	var iv []byte
	mustUnmarshal(t, block.Bytes, &info)
	mustUnmarshal(t, info.Algorithm.Parameters.FullBytes, &params)
	mustUnmarshal(t, params.KeyDerivationFunc.Parameters.FullBytes, &kdf)
	mustUnmarshal(t, params.EncryptionScheme.Parameters.FullBytes, &iv)
	if !info.Algorithm.Algorithm.Equal(oidPBES2) || !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) ||
		!params.EncryptionScheme.Algorithm.Equal(oidAES256CBC) {
		t.Errorf("algorithms %v %v %v", info.Algorithm.Algorithm, params.KeyDerivationFunc.Algorithm, params.EncryptionScheme.Algorithm)
	}
	if len(kdf.Salt) != 8 || kdf.Iterations != 2048 || len(iv) != 16 {
		t.Errorf("salt %d bytes, %d iterations, iv %d bytes", len(kdf.Salt), kdf.Iterations, len(iv))
	}
	plain, err := decryptPKCS8(block.Bytes, pass)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	var inner notaryPKCS8
	mustUnmarshal(t, plain, &inner)
	var wantVersion int
	var wantAlg []asn1.ObjectIdentifier
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		wantVersion = 1
		wantAlg = []asn1.ObjectIdentifier{oidECDSA, map[int]asn1.ObjectIdentifier{256: oidP256, 384: oidP384, 521: oidP521}[k.Curve.Params().BitSize]}
	case *rsa.PrivateKey:
		wantAlg = []asn1.ObjectIdentifier{oidRSA}
	case ed25519.PrivateKey:
		wantAlg = []asn1.ObjectIdentifier{oidNotaryEd25519}
		if len(inner.PrivateKey) != 96 {
			t.Errorf("ed25519 blob of %d bytes", len(inner.PrivateKey))
		}
	}
	if inner.Version != wantVersion || !reflect.DeepEqual(inner.Algorithm, wantAlg) {
		t.Errorf("inner PKCS#8 version %d algorithm %v, want %d %v", inner.Version, inner.Algorithm, wantVersion, wantAlg)
	}
}

func mustUnmarshal(t *testing.T, der []byte, v any) {
	t.Helper()
	rest, err := asn1.Unmarshal(der, v)
	if err != nil || len(rest) != 0 {
		t.Fatalf("unmarshal %T: %v (%d trailing bytes)", v, err, len(rest))
	}
}

// Every input format is imported, re-encrypted in notary's format and read back.
func TestImportFormats(t *testing.T) {
	pass := testenv.FixturePassphrase
	tests := []struct {
		name   string
		data   []byte
		wantID string // empty: computed from the key
	}{
		{"SEC1 (UCP bundle)", fixture(t, "users/alice/key.pem"), aliceID},
		{"PKCS#1 (UCP bundle)", fixture(t, "users/bob/key.pem"), bobID},
		{"PKCS#8 PRF SHA-1 (openssl -v2prf hmacWithSHA1)", fixture(t, "experiments/keyformat/alice-openssl-sha1.p8"), aliceID},
		{"PKCS#8 PRF SHA-256 (OpenSSL 3 default)", fixture(t, "experiments/keyformat/alice-openssl-default.p8"), aliceID},
		{"PKCS#8 AES-128 PRF SHA-512", testdata(t, "alice-aes128-sha512.p8"), aliceID},
		{"PKCS#8 AES-192 PRF SHA-384", testdata(t, "alice-aes192-sha384.p8"), aliceID},
		{"PKCS#8 RSA 100000 iterations", testdata(t, "bob-aes256-sha256-100k.p8"), bobID},
		{"RFC 1423 EC", testdata(t, "alice-proctype.pem"), aliceID},
		{"RFC 1423 RSA", testdata(t, "bob-proctype.pem"), bobID},
		{"RFC 8410 ed25519", testdata(t, "ed25519-rfc8410.pem"), ""},
		{"EC PARAMETERS then key", testdata(t, "p256-with-params.pem"), ""},
		{"notary key file", fixture(t, "trust-delegate/private/"+bobID+".key"), bobID},
		{"docker key file", fixture(t, "docker/signer/trust/private/9cd52faba8a4693aebdae15826e87493053cfc50edd90bf125a912dca384bf2b.key"), "9cd52faba8a4693aebdae15826e87493053cfc50edd90bf125a912dca384bf2b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t, allVars(pass))
			infos, err := s.Import(tt.data, "input.pem", "carol", "", false)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 || (tt.wantID != "" && infos[0].ID != tt.wantID) {
				t.Fatalf("imported %v, want %s", infos, tt.wantID)
			}
			key, info, err := s.PrivateKey(infos[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if info != infos[0] {
				t.Errorf("PrivateKey info %v, Import %v", info, infos[0])
			}
			// A key file's own role header wins over the role asked for.
			wantRole := "carol"
			if b, _ := pem.Decode(tt.data); b.Headers["role"] != "" {
				wantRole = b.Headers["role"]
			}
			if info.Role != wantRole || info.GUN != "" {
				t.Errorf("role %q gun %q, want %q", info.Role, info.GUN, wantRole)
			}
			checkWritten(t, info.Path, wantRole, "", pass, key)
		})
	}
}

func TestRoundTripKeyTypes(t *testing.T) {
	const pass = "round-trip-passphrase"
	for name, key := range testKeys() {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		inputs := map[string][]byte{"PKCS#8": pemBlock("PRIVATE KEY", nil, der)}
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			sec1, _ := x509.MarshalECPrivateKey(k)
			inputs["SEC1"] = pemBlock("EC PRIVATE KEY", nil, sec1)
			//lint:ignore SA1019 legacy format under test
			enc, _ := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", sec1, []byte(pass), x509.PEMCipherAES256)
			inputs["RFC 1423"] = pem.EncodeToMemory(enc)
		case *rsa.PrivateKey:
			pkcs1 := x509.MarshalPKCS1PrivateKey(k)
			inputs["PKCS#1"] = pemBlock("RSA PRIVATE KEY", nil, pkcs1)
			//lint:ignore SA1019 legacy format under test
			enc, _ := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", pkcs1, []byte(pass), x509.PEMCipherAES128)
			inputs["RFC 1423"] = pem.EncodeToMemory(enc)
		case ed25519.PrivateKey:
			blob := append(append([]byte(nil), k.Public().(ed25519.PublicKey)...), k...)
			inputs["notary blob"] = pemBlock("ED25519 PRIVATE KEY", nil, blob)
		}
		for format, data := range inputs {
			t.Run(name+"/"+format, func(t *testing.T) {
				s, _ := newStore(t, allVars(pass))
				infos, err := s.Import(data, "in", "targets", "example.com/app", false)
				if err != nil {
					t.Fatal(err)
				}
				got, info, err := s.PrivateKey(infos[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if !sameKey(got, key) {
					t.Fatal("read back a different key")
				}
				checkWritten(t, info.Path, "targets", "example.com/app", pass, key)

				// The exported file imports elsewhere as the same key.
				exported, err := s.Export(info.ID)
				if err != nil {
					t.Fatal(err)
				}
				other, _ := newStore(t, allVars(pass))
				again, err := other.Import(exported, "export", "", "", false)
				if err != nil {
					t.Fatal(err)
				}
				if again[0] != (Info{ID: info.ID, Role: "targets", GUN: "example.com/app", Path: again[0].Path}) {
					t.Errorf("re-imported as %v", again[0])
				}
				if back, _, err := other.PrivateKey(info.ID); err != nil || !sameKey(back, key) {
					t.Errorf("re-imported key: %v", err)
				}
			})
		}
	}
}

func TestGenerate(t *testing.T) {
	const pass = "generate-passphrase"
	tests := []struct {
		role, gun string
		wantGUN   string
		wantErr   string
	}{
		{role: "root", gun: "example.com/app"},
		{role: "targets", gun: "example.com/app", wantGUN: "example.com/app"},
		{role: "snapshot", gun: "127.0.0.1:5000/dev/nginx", wantGUN: "127.0.0.1:5000/dev/nginx"},
		{role: "targets/releases", gun: "example.com/app"},
		{role: "alice"},
		{role: "targets", wantErr: "needs a repository name"},
		{role: "timestamp", gun: "bad gun", wantErr: "invalid repository name"},
		{role: "bad role", wantErr: "invalid role name"},
		{role: "", wantErr: "invalid role name"},
	}
	for _, tt := range tests {
		t.Run(tt.role+"@"+tt.gun, func(t *testing.T) {
			s, root := newStore(t, allVars(pass))
			info, pub, err := s.Generate(tt.role, tt.gun)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if _, err := os.Stat(root); !os.IsNotExist(err) {
					t.Error("trust dir created on error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.ID != pub.ID() || info.Role != tt.role || info.GUN != tt.wantGUN || pub.Type != tuf.KeyTypeECDSA {
				t.Errorf("info %v, pub %s %s", info, pub.Type, pub.ID())
			}
			key, _, err := s.PrivateKey(info.ID)
			if err != nil {
				t.Fatal(err)
			}
			if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve.Params().Name != "P-256" {
				t.Errorf("generated %T", key)
			}
			checkWritten(t, info.Path, tt.role, tt.wantGUN, pass, key)
			if fi, _ := os.Stat(root); fi.Mode().Perm() != 0o700 {
				t.Errorf("trust dir mode %v", fi.Mode())
			}
		})
	}
}

func TestImportRoleAndGUN(t *testing.T) {
	alice := fixture(t, "users/alice/key.pem")
	withHeaders := func(h map[string]string) []byte {
		b, _ := pem.Decode(alice)
		b.Headers = h
		return pem.EncodeToMemory(b)
	}
	tests := []struct {
		name      string
		data      []byte
		role, gun string
		wantRole  string
		wantGUN   string
	}{
		{"role given, gun dropped", alice, "alice", "example.com/app", "alice", ""},
		{"targets keeps gun", alice, "targets", "example.com/app", "targets", "example.com/app"},
		{"delegation role drops gun", alice, "targets/releases", "example.com/app", "targets/releases", ""},
		{"default role", alice, "", "", "delegation", ""},
		{"headers win", withHeaders(map[string]string{"role": "snapshot", "gun": "a.io/b"}), "alice", "c.io/d", "snapshot", "a.io/b"},
		{"gun from legacy export path", withHeaders(map[string]string{"role": "targets", "path": "tuf_keys/a.io/b/" + aliceID}), "", "", "targets", "a.io/b"},
		{"flat export path", withHeaders(map[string]string{"role": "bob", "path": aliceID}), "", "", "bob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t, allVars("import-passphrase"))
			infos, err := s.Import(tt.data, "alice.pem", tt.role, tt.gun, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 || infos[0].Role != tt.wantRole || infos[0].GUN != tt.wantGUN {
				t.Fatalf("imported %v, want role %q gun %q", infos, tt.wantRole, tt.wantGUN)
			}
			key, _, err := s.PrivateKey(aliceID)
			if err != nil {
				t.Fatal(err)
			}
			checkWritten(t, infos[0].Path, tt.wantRole, tt.wantGUN, "import-passphrase", key)
		})
	}
}

func TestImportSeveralAndForce(t *testing.T) {
	s, _ := newStore(t, fixturePass)
	both := append(fixture(t, "users/alice/key.pem"), fixture(t, "users/bob/key.pem")...)
	infos, err := s.Import(both, "both.pem", "team", "", false)
	if err != nil || len(infos) != 2 || infos[0].ID != aliceID || infos[1].ID != bobID {
		t.Fatalf("Import = %v, %v", infos, err)
	}
	if _, err := s.Import(both, "both.pem", "team", "", false); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second import: %v", err)
	}
	// The same key twice in one input, forced: one file, the last role.
	twice := append(fixture(t, "users/alice/key.pem"), withRole(t, fixture(t, "users/alice/key.pem"), "alice2")...)
	infos, err = s.Import(twice, "twice.pem", "alice", "", true)
	if err != nil || len(infos) != 1 || infos[0].Role != "alice2" {
		t.Fatalf("forced import = %v, %v", infos, err)
	}
	list, _ := s.List()
	if len(list) != 2 || list[0].Role != "alice2" || list[1].Role != "team" {
		t.Errorf("List = %v", list)
	}
}

func withRole(t *testing.T, data []byte, role string) []byte {
	b, _ := pem.Decode(data)
	b.Headers = map[string]string{"role": role}
	return pem.EncodeToMemory(b)
}

// Every refused import leaves the store as it was.
func TestImportRefused(t *testing.T) {
	alice := fixture(t, "users/alice/key.pem")
	bob := fixture(t, "users/bob/key.pem")
	cert := fixture(t, "users/alice/cert.pem")
	pubDER, _ := x509.MarshalPKIXPublicKey(testKeys()["ecdsa-p256"].Public())
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	garbage := pemBlock("ENCRYPTED PRIVATE KEY", nil, []byte{0x30, 0x03, 0x02, 0x01, 0x01})
	emptyForNew := sourceFunc(func(_, _ string, newKey bool, _ int) (string, error) {
		if newKey {
			return "", nil
		}
		return testenv.FixturePassphrase, nil
	})
	tests := []struct {
		name      string
		data      []byte
		role, gun string
		pass      PassphraseSource
		want      error
	}{
		{"not PEM", []byte("just text\n"), "x", "", fixturePass, ErrInvalidKey},
		{"empty", nil, "x", "", fixturePass, ErrInvalidKey},
		{"certificate", cert, "x", "", fixturePass, ErrInvalidKey},
		{"public key", pemBlock("PUBLIC KEY", nil, pubDER), "x", "", fixturePass, ErrInvalidKey},
		{"key then certificate", append(bob, cert...), "x", "", fixturePass, ErrInvalidKey},
		{"P-224", testdata(t, "p224.pem"), "x", "", fixturePass, ErrInvalidKey},
		{"RSA 1024 (openssl)", testdata(t, "rsa1024.pem"), "x", "", fixturePass, ErrInvalidKey},
		{"RSA 1024 PKCS#8", pemBlock("PRIVATE KEY", nil, mustPKCS8(t, rsa1024)), "x", "", fixturePass, ErrInvalidKey},
		{"corrupt encrypted", garbage, "x", "", fixturePass, ErrInvalidKey},
		{"unsupported PEM type", pemBlock("OPENSSH PRIVATE KEY", nil, []byte{1}), "x", "", fixturePass, ErrInvalidKey},
		{"existing key", append(bob, alice...), "x", "", fixturePass, ErrKeyExists},
		{"wrong passphrase of input", testdata(t, "alice-proctype.pem"), "x", "", allVars("not-the-passphrase"), ErrWrongPassphrase},
		{"no passphrase of input", fixture(t, "experiments/keyformat/alice-openssl-sha1.p8"), "x", "", envSource(nil), ErrNoPassphrase},
		{"no passphrase for the new file", bob, "x", "", envSource(nil), ErrNoPassphrase},
		{"empty passphrase for the new file", bob, "x", "", emptyForNew, ErrNoPassphrase},
		{"targets without gun", bob, "targets", "", fixturePass, nil},
		{"invalid role", bob, "a:b", "", fixturePass, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := testenv.CopyDir(t, filepath.Join(testenv.Fixtures(), "trust-delegate"))
			if err := os.Remove(filepath.Join(root, "private", bobID+".key")); err != nil {
				t.Fatal(err)
			}
			before := treeState(t, root)
			s := Open(store.Dir{Root: root}, tt.pass)
			infos, err := s.Import(tt.data, "input.pem", tt.role, tt.gun, false)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Import = %v, %v; want %v", infos, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "input.pem") {
				t.Errorf("error %q: want one line naming the input", err)
			}
			assertUnchanged(t, root, before)
		})
	}
}

func mustPKCS8(t *testing.T, key any) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// legacyDir lays out keys as notary before v0.4 did.
func legacyDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	stripped := func(id string) []byte {
		b, _ := pem.Decode(fixture(t, "trust-admin/private/"+id+".key"))
		b.Headers = nil
		return pem.EncodeToMemory(b)
	}
	write := func(rel string, data []byte) {
		p := filepath.Join(root, "private", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("root_keys/"+rootID+"_root.key", stripped(rootID))
	write("tuf_keys/example.com/a/b/"+targetsID+"_targets.key", stripped(targetsID))
	// Role from the header; the folder overrides the header's GUN.
	write("tuf_keys/example.com/a/b/"+appSnapID+".key", fixture(t, "trust-admin/private/"+appSnapID+".key"))
	write("tuf_keys/example.com/a/b/notes.txt", []byte("not a key"))
	return root
}

func TestLegacyLayouts(t *testing.T) {
	root := legacyDir(t)
	before := treeState(t, root)
	s := Open(store.Dir{Root: root}, fixturePass)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(root, "private", "tuf_keys", "example.com", "a", "b")
	want := []Info{
		{ID: rootID, Role: "root", Path: filepath.Join(root, "private", "root_keys", rootID+"_root.key")},
		{ID: appSnapID, Role: "snapshot", GUN: "example.com/a/b", Path: filepath.Join(legacy, appSnapID+".key")},
		{ID: targetsID, Role: "targets", GUN: "example.com/a/b", Path: filepath.Join(legacy, targetsID+"_targets.key")},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("List:\n got %v\nwant %v", list, want)
	}
	for _, info := range list {
		if _, _, err := s.PrivateKey(info.ID); err != nil {
			t.Errorf("%s: %v", info.ID, err)
		}
		exported, err := s.Export(info.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(exported)
		if b.Headers["role"] != info.Role || b.Headers["gun"] != info.GUN {
			t.Errorf("exported headers %v for %v", b.Headers, info)
		}
		// The export, dropped into a flat store, is the same key.
		flat := Open(store.Dir{Root: t.TempDir()}, fixturePass)
		if err := store.WriteFileAtomic(filepath.Join(flat.dir.PrivateDir(), info.ID+".key"), exported); err != nil {
			t.Fatal(err)
		}
		if _, got, err := flat.PrivateKey(info.ID); err != nil || got.Role != info.Role || got.GUN != info.GUN {
			t.Errorf("exported %s: %v %v", info.ID, got, err)
		}
	}
	assertUnchanged(t, root, before) // reading never migrates

	// Changing the passphrase moves the key to the flat layout.
	s = Open(store.Dir{Root: root}, sourceFunc(func(_, _ string, newKey bool, _ int) (string, error) {
		if newKey {
			return "new-passphrase", nil
		}
		return testenv.FixturePassphrase, nil
	}))
	if err := s.ChangePassphrase(targetsID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(want[2].Path); !os.IsNotExist(err) {
		t.Error("legacy file left behind")
	}
	key, info, err := Open(store.Dir{Root: root}, allVars("new-passphrase")).PrivateKey(targetsID)
	if err != nil {
		t.Fatal(err)
	}
	checkWritten(t, info.Path, "targets", "example.com/a/b", "new-passphrase", key)
}

func TestFlatWinsOverLegacy(t *testing.T) {
	root := legacyDir(t)
	flat := filepath.Join(root, "private", rootID+".key")
	if err := os.WriteFile(flat, fixture(t, "trust-admin/private/"+rootID+".key"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Open(store.Dir{Root: root}, fixturePass)
	list, _ := s.List()
	if len(list) != 3 || list[0].Path != flat {
		t.Fatalf("List = %v", list)
	}
	if err := s.Remove(rootID); err != nil {
		t.Fatal(err)
	}
	list, _ = s.List()
	if len(list) != 2 || list[0].ID == rootID {
		t.Errorf("after Remove: %v", list)
	}
	if err := s.Remove(rootID); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("second Remove: %v", err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	root := testenv.CopyDir(t, filepath.Join(testenv.Fixtures(), "trust-admin"))
	before := treeState(t, root)
	s := Open(store.Dir{Root: root}, envSource(map[string]string{"NOTARY_ROOT_PASSPHRASE": "not-the-passphrase"}))
	_, _, err := s.PrivateKey(rootID)
	if !errors.Is(err, ErrWrongPassphrase) || err.Error() != "wrong passphrase for key "+rootID+" (role root)" {
		t.Errorf("PrivateKey: %v", err)
	}
	if err := s.ChangePassphrase(rootID); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("ChangePassphrase: %v", err)
	}
	if _, err := s.Export(rootID); err != nil {
		t.Errorf("Export needs no passphrase: %v", err)
	}
	assertUnchanged(t, root, before)
}

type fakePrompter struct {
	answers []string
	prompts []string
}

func (p *fakePrompter) ReadPassword(prompt string) (string, error) {
	p.prompts = append(p.prompts, prompt)
	if len(p.answers) == 0 {
		return "", errors.New("no more answers")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

func TestPromptAttempts(t *testing.T) {
	dir := store.Dir{Root: filepath.Join(testenv.Fixtures(), "trust-delegate")}
	noEnv := func(string) string { return "" }

	p := &fakePrompter{answers: []string{"wrong", "wrong again", "  " + testenv.FixturePassphrase + "\n"}}
	if _, _, err := Open(dir, NewPassphraseSource(noEnv, p)).PrivateKey(aliceID); err != nil {
		t.Fatalf("third answer: %v", err)
	}
	if len(p.prompts) != 3 || !strings.HasPrefix(p.prompts[1], "Wrong passphrase.") || !strings.Contains(p.prompts[0], "alice key "+aliceID) {
		t.Errorf("prompts %q", p.prompts)
	}

	p = &fakePrompter{answers: []string{"a", "b", "c", testenv.FixturePassphrase}}
	_, _, err := Open(dir, NewPassphraseSource(noEnv, p)).PrivateKey(aliceID)
	if !errors.Is(err, ErrWrongPassphrase) || len(p.prompts) != maxAttempts {
		t.Errorf("err %v after %d prompts", err, len(p.prompts))
	}
}

func TestChangePassphrase(t *testing.T) {
	root := testenv.CopyDir(t, filepath.Join(testenv.Fixtures(), "trust-admin"))
	s := Open(store.Dir{Root: root}, sourceFunc(func(_, _ string, newKey bool, _ int) (string, error) {
		if newKey {
			return "changed-passphrase", nil
		}
		return testenv.FixturePassphrase, nil
	}))
	if err := s.ChangePassphrase(targetsID); err != nil {
		t.Fatal(err)
	}
	key, info, err := Open(store.Dir{Root: root}, allVars("changed-passphrase")).PrivateKey(targetsID)
	if err != nil {
		t.Fatal(err)
	}
	checkWritten(t, info.Path, "targets", mainGUN, "changed-passphrase", key)
	if err := s.ChangePassphrase("0000"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestNotFoundAndTraversal(t *testing.T) {
	s := Open(store.Dir{Root: filepath.Join(testenv.Fixtures(), "trust-admin")}, fixturePass)
	for _, id := range []string{"", "../private/" + rootID, "ffffffffffff", "private/" + rootID} {
		if _, _, err := s.PrivateKey(id); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("PrivateKey(%q): %v", id, err)
		}
		if _, err := s.Export(id); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Export(%q): %v", id, err)
		}
	}
	empty := Open(store.Dir{Root: filepath.Join(t.TempDir(), "none")}, nil)
	if list, err := empty.List(); err != nil || len(list) != 0 {
		t.Errorf("List of a missing dir = %v, %v", list, err)
	}
}

// A file whose name is not its key's ID is refused rather than used under a wrong ID.
func TestMisnamedKeyFile(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "private", aliceID+".key")
	if err := store.WriteFileAtomic(p, fixture(t, "trust-delegate/private/"+bobID+".key")); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(store.Dir{Root: root}, fixturePass).PrivateKey(aliceID)
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v", err)
	}
}

func TestUnencryptedStoredKeyReads(t *testing.T) {
	// notary writes PRIVATE KEY when the passphrase is empty; such files need no passphrase.
	key := testKeys()["ed25519"]
	plain, err := marshalNotaryPKCS8(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := tuf.PublicKeyFromCrypto(key.Public())
	root := t.TempDir()
	if err := store.WriteFileAtomic(filepath.Join(root, "private", pub.ID()+".key"), pemBlock("PRIVATE KEY", map[string]string{"role": "ed"}, plain)); err != nil {
		t.Fatal(err)
	}
	got, info, err := Open(store.Dir{Root: root}, nil).PrivateKey(pub.ID())
	if err != nil || !sameKey(got, key) || info.Role != "ed" {
		t.Errorf("PrivateKey = %v, %v", info, err)
	}
}

// TestChangePassphraseNeedsANewOne: without a terminal the new passphrase comes from
// TRUSTCTL_NEW_PASSPHRASE, never from the variable of the current one; the current one
// again is refused, so that passwd never reports a change that did not happen.
func TestChangePassphraseNeedsANewOne(t *testing.T) {
	const old = "old-passphrase"
	tests := []struct {
		name    string
		newPass string
		wantErr error
	}{
		{"no new passphrase", "", ErrNoPassphrase},
		{"the current one", old, ErrSamePassphrase},
		{"too short", "short", ErrNoPassphrase},
		{"a new one", "new-passphrase", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"NOTARY_DELEGATION_PASSPHRASE": old, EnvNewPassphrase: tt.newPass}
			s, root := newStore(t, envSource(env))
			info, _, err := s.Generate("alice", "")
			if err != nil {
				t.Fatal(err)
			}
			before := treeState(t, root)
			err = s.ChangePassphrase(info.ID)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("ChangePassphrase: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				assertUnchanged(t, root, before)
				return
			}
			if _, _, err := Open(store.Dir{Root: root}, allVars(tt.newPass)).PrivateKey(info.ID); err != nil {
				t.Errorf("the new passphrase does not open the key: %v", err)
			}
			if _, _, err := Open(store.Dir{Root: root}, allVars(old)).PrivateKey(info.ID); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("the old passphrase still opens the key: %v", err)
			}
		})
	}
}

// TestKeyIDPrefix: a unique prefix of at least 12 hex characters names a key, as the
// IDs `inspect` shows; a shorter or ambiguous one is refused, listing the matches.
func TestKeyIDPrefix(t *testing.T) {
	s := Open(store.Dir{Root: filepath.Join(testenv.Fixtures(), "trust-admin")}, fixturePass)
	if _, info, err := s.PrivateKey(rootID[:12]); err != nil || info.ID != rootID {
		t.Errorf("PrivateKey(%q) = %v, %v; want key %s", rootID[:12], info.ID, err, rootID)
	}
	if _, err := s.Export(rootID[:20]); err != nil {
		t.Errorf("Export(%q): %v", rootID[:20], err)
	}
	if _, _, err := s.PrivateKey(rootID[:11]); !errors.Is(err, tuf.ErrKeyIDTooShort) {
		t.Errorf("PrivateKey(%q): %v, want too short", rootID[:11], err)
	}

	// Two keys whose IDs share 12 characters: the prefix is refused, naming both.
	root := t.TempDir()
	for _, id := range []string{rootID, rootID[:12] + strings.Repeat("0", 52)} {
		if err := store.WriteFileAtomic(filepath.Join(root, "private", id+".key"), fixture(t, "trust-admin/private/"+rootID+".key")); err != nil {
			t.Fatal(err)
		}
	}
	err := Open(store.Dir{Root: root}, fixturePass).Remove(rootID[:12])
	if !errors.Is(err, tuf.ErrAmbiguousKeyID) || !strings.Contains(err.Error(), rootID) || !strings.Contains(err.Error(), rootID[:12]+"0000") {
		t.Errorf("Remove of an ambiguous prefix: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "private", rootID+".key")); err != nil {
		t.Errorf("an ambiguous prefix removed a key: %v", err)
	}
}
