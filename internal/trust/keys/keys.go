// Package keys is the private-key store of a trust directory, shared with notary v0.7.0
// and docker.
//
// Keys live in private/<canonical key id>.key as PEM "ENCRYPTED PRIVATE KEY" blocks
// (PKCS#8 PBES2, PBKDF2-HMAC-SHA1, AES-256-CBC around notary's PKCS#8 variant) with a
// "role" header and, for targets/snapshot/timestamp keys, a "gun" header. The store
// reads everything notary and docker write or read: the older layouts
// private/root_keys/<id>.key and private/tuf_keys/<gun>/<id>[_<role>].key, unencrypted
// PKCS#8, SEC1 and PKCS#1 keys, RFC 1423 (Proc-Type) encrypted keys, PBKDF2 with
// HMAC-SHA1/256/384/512 and AES-128/192/256-CBC. It writes only what notary reads back
// and never rewrites a file it merely reads.
//
//	s := keys.Open(dir, keys.NewPassphraseSource(os.Getenv, prompter))
//	s.List()                                    // what `notary key list` shows
//	s.Generate(role, gun)                       // new ECDSA P-256 key
//	s.Import(pemData, source, role, gun, force) // one or more PEM blocks, all or nothing
//	s.Export(id)                                // the encrypted PEM, with role/gun headers
//	s.ChangePassphrase(id)
//	s.Remove(id)
//	s.PrivateKey(id)                            // decrypted, for signing
//
// Callers that change the store hold the trust dir's lock (store.Dir.Lock).
package keys

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Errors usable with errors.Is.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrKeyExists       = errors.New("key already exists")
	ErrKeyNotFound     = errors.New("key not found")
	ErrNoPassphrase    = errors.New("no passphrase")
	ErrInvalidKey      = errors.New("invalid key")
)

// Info describes a key file.
type Info struct {
	ID   string // canonical key ID, the file name
	Role string // passphrase alias and display name: root, targets, alice, targets/releases…
	GUN  string // set for targets, snapshot and timestamp keys
	Path string // the key file
}

// Store is the key store of one trust directory.
type Store struct {
	dir  store.Dir
	pass PassphraseSource
}

// Open returns the key store of dir; pass supplies passphrases (nil: none available).
// Nothing is read or written until a method is called.
func Open(dir store.Dir, pass PassphraseSource) *Store {
	return &Store{dir: dir, pass: pass}
}

const (
	keyExt = ".key"
	// maxKeyFile bounds what is read from a key file (an RSA-16384 key is about 13 KiB).
	maxKeyFile = 256 << 10
	// maxAttempts bounds how often a passphrase is asked for one key.
	maxAttempts = 3
	// defaultImportRole is notary's role for imported keys without one.
	defaultImportRole = "delegation"
	// Folders of the layout notary used before v0.4.
	legacyRootDir    = "root_keys"
	legacyNonRootDir = "tuf_keys"
)

// maxName is the longest role or repository name accepted in a key file header.
const maxName = 255

var (
	// Lengths are checked apart (maxName): a bounded repetition compiles into hundreds
	// of states and cost every command milliseconds at start.
	validRole = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_./]*$`)
	validGUN  = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_./:@]*$`)
)

// List returns the keys in the order `notary key list` prints them: root keys first,
// then by GUN, role, ID. Like notary it reads only PEM headers and skips files that
// hold no private key block. When a legacy file and a flat file hold the same ID, the
// flat one is listed.
func (s *Store) List() ([]Info, error) {
	all, err := s.scan()
	if err != nil {
		return nil, err
	}
	var list []Info
	seen := map[string]bool{}
	for _, info := range all {
		if !seen[info.ID] {
			seen[info.ID] = true
			list = append(list, info)
		}
	}
	slices.SortFunc(list, func(a, b Info) int {
		return cmp.Or(
			cmp.Compare(rootRank(a), rootRank(b)),
			cmp.Compare(a.GUN, b.GUN),
			cmp.Compare(a.Role, b.Role),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Path, b.Path),
		)
	})
	return list, nil
}

// PermissionWarnings names, one line each, a trust dir or private/ that group or others
// can write, and every key file that group or others can read, as ssh warns about an
// unprotected private key. Keys are encrypted, but a readable file invites an offline
// attack on its passphrase.
func (s *Store) PermissionWarnings() ([]string, error) {
	out := s.dir.PermissionWarnings()
	all, err := s.scan()
	if err != nil {
		return nil, err
	}
	for _, info := range all {
		st, err := os.Stat(info.Path)
		if err != nil || st.Mode().Perm()&0o044 == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s: permissions %04o are too open: group or others can read this private key; chmod 600 %s", info.Path, st.Mode().Perm(), info.Path))
	}
	return out, nil
}

// rootRank puts root keys first, as notary does.
func rootRank(i Info) int {
	if i.Role == "root" {
		return 0
	}
	return 1
}

// scan reads the headers of every key file under private/, flat files first.
func (s *Store) scan() ([]Info, error) {
	root := s.dir.PrivateDir()
	var flat, nested []Info
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		// Like notary: regular *.key files only, symlinks ignored.
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), keyExt) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, ok := readInfo(p, filepath.ToSlash(rel))
		if !ok {
			return nil
		}
		if info.Path == filepath.Join(root, info.ID+keyExt) {
			flat = append(flat, info)
		} else {
			nested = append(nested, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys in %s: %w", root, err)
	}
	return append(flat, nested...), nil
}

// readInfo reads the ID, role and GUN of the key file at p (rel to private/); legacy
// folders give the GUN and a _<role> file-name suffix the role, as notary's migration.
func readInfo(p, rel string) (Info, bool) {
	data, err := store.ReadFileLimit(p, maxKeyFile)
	if err != nil {
		return Info{}, false
	}
	block, _ := pem.Decode(data)
	if block == nil || !isPrivateKeyType(block.Type) {
		return Info{}, false
	}
	info := Info{
		ID:   strings.TrimSuffix(path.Base(rel), keyExt),
		Role: block.Headers["role"],
		GUN:  block.Headers["gun"],
		Path: p,
	}
	dir := path.Dir(rel)
	legacyDir, inLegacy := strings.CutPrefix(dir, legacyNonRootDir)
	if !inLegacy {
		legacyDir, inLegacy = strings.CutPrefix(dir, legacyRootDir)
	}
	if inLegacy && (legacyDir == "" || legacyDir[0] == '/') {
		if gun := strings.Trim(legacyDir, "/"); gun != "" {
			info.GUN = gun
		}
		if id, role, ok := strings.Cut(info.ID, "_"); ok {
			info.ID, info.Role = id, role
		}
	}
	return info, true
}

func isPrivateKeyType(t string) bool {
	switch t {
	case pemEncrypted, pemPKCS8, pemSEC1, pemPKCS1, pemEd25519:
		return true
	}
	return false
}

// Lookup returns the key id names: its full ID, or a unique prefix of it.
func (s *Store) Lookup(id string) (Info, error) { return s.find(id) }

// find returns the key file of id (or of a unique prefix of it, tuf.ResolveKeyID),
// preferring the flat layout.
func (s *Store) find(id string) (Info, error) {
	all, err := s.scan()
	if err != nil {
		return Info{}, err
	}
	if id, err = resolveID(id, all); err != nil {
		return Info{}, err
	}
	for _, info := range all {
		if info.ID == id {
			return info, nil
		}
	}
	return Info{}, fmt.Errorf("%w: %s in %s", ErrKeyNotFound, id, s.dir.PrivateDir())
}

func (s *Store) flatPath(id string) string {
	return filepath.Join(s.dir.PrivateDir(), id+keyExt)
}

// Generate creates an ECDSA P-256 key, as notary and docker do, encrypted with a new
// passphrase for role. targets, snapshot and timestamp keys need a GUN; other roles
// never get one.
func (s *Store) Generate(role, gun string) (Info, tuf.PublicKey, error) {
	gun, err := keyGUN(role, gun)
	if err != nil {
		return Info{}, tuf.PublicKey{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Info{}, tuf.PublicKey{}, fmt.Errorf("generate key: %w", err)
	}
	pub, err := tuf.PublicKeyFromCrypto(key.Public())
	if err != nil {
		return Info{}, tuf.PublicKey{}, err
	}
	info := Info{ID: pub.ID(), Role: role, GUN: gun, Path: s.flatPath(pub.ID())}
	data, err := s.encode(key, info)
	if err != nil {
		return Info{}, tuf.PublicKey{}, err
	}
	if err := store.WriteFileAtomic(info.Path, data); err != nil {
		return Info{}, tuf.PublicKey{}, fmt.Errorf("write key %s: %w", info.Path, err)
	}
	return info, pub, nil
}

// keyGUN applies notary's rule: the GUN belongs to targets, snapshot and timestamp keys
// only, and those need one.
func keyGUN(role, gun string) (string, error) {
	if len(role) > maxName || !validRole.MatchString(role) {
		return "", fmt.Errorf("invalid role name %q", role)
	}
	switch role {
	case "targets", "snapshot", "timestamp":
		if gun == "" {
			return "", fmt.Errorf("a %s key needs a repository name (GUN)", role)
		}
		if len(gun) > maxName || !validGUN.MatchString(gun) {
			return "", fmt.Errorf("invalid repository name %q", gun)
		}
		return gun, nil
	}
	return "", nil
}

// encode encrypts key for info with a new passphrase.
func (s *Store) encode(key crypto.Signer, info Info) ([]byte, error) {
	pass, err := s.passphrase(info.Role, info.ID, true, 0)
	if err != nil {
		return nil, err
	}
	data, err := encodeKeyFile(key, info.Role, info.GUN, pass)
	if err != nil {
		return nil, fmt.Errorf("encode %s key %s: %w", info.Role, info.ID, err)
	}
	return data, nil
}

func (s *Store) passphrase(alias, keyID string, newKey bool, attempt int) (string, error) {
	if s.pass == nil {
		return "", fmt.Errorf("%w for %s key %s", ErrNoPassphrase, alias, keyID)
	}
	return s.pass.Passphrase(alias, keyID, newKey, attempt)
}

// unlock parses block, asking for its passphrase (alias role, key name) when encrypted.
func (s *Store) unlock(block *pem.Block, role, name string) (crypto.Signer, error) {
	if !isEncrypted(block) {
		return parseBlock(block, "")
	}
	for attempt := range maxAttempts {
		pass, err := s.passphrase(role, name, false, attempt)
		if errors.Is(err, ErrWrongPassphrase) {
			break
		}
		if err != nil {
			return nil, err
		}
		key, err := parseBlock(block, pass)
		if !errors.Is(err, errBadPassphrase) {
			return key, err
		}
	}
	return nil, fmt.Errorf("%w for key %s (role %s)", ErrWrongPassphrase, name, role)
}

// load reads and decrypts the key file of info, checking that it holds the key its
// name says.
func (s *Store) load(info Info) (crypto.Signer, error) {
	data, err := store.ReadFileLimit(info.Path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", info.Path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("read key %s: %w: no PEM block", info.Path, ErrInvalidKey)
	}
	key, err := s.unlock(block, info.Role, info.ID)
	if err != nil {
		if errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrNoPassphrase) {
			return nil, err
		}
		return nil, fmt.Errorf("read key %s: %w", info.Path, err)
	}
	pub, err := tuf.PublicKeyFromCrypto(key.Public())
	if err != nil {
		return nil, err
	}
	if pub.ID() != info.ID {
		return nil, fmt.Errorf("read key %s: %w: file holds key %s", info.Path, ErrInvalidKey, pub.ID())
	}
	return key, nil
}

// decrypts tells whether pass opens the key file of info.
func (s *Store) decrypts(info Info, pass string) bool {
	data, err := store.ReadFileLimit(info.Path, maxKeyFile)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(data)
	if block == nil || !isEncrypted(block) {
		return false
	}
	_, err = parseBlock(block, pass)
	return err == nil
}

// PrivateKey decrypts the key id.
func (s *Store) PrivateKey(id string) (crypto.Signer, Info, error) {
	info, err := s.find(id)
	if err != nil {
		return nil, Info{}, err
	}
	key, err := s.load(info)
	if err != nil {
		return nil, Info{}, err
	}
	return key, info, nil
}

// Export returns the encrypted PEM of key id with its role and gun headers, as notary
// reads it when saved as private/<id>.key. A flat key file is returned byte for byte.
func (s *Store) Export(id string) ([]byte, error) {
	info, err := s.find(id)
	if err != nil {
		return nil, err
	}
	data, err := store.ReadFileLimit(info.Path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", info.Path, err)
	}
	if info.Path == s.flatPath(id) {
		return data, nil
	}
	// A legacy file: its folder and name carried the GUN and role.
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("read key %s: %w: no PEM block", info.Path, ErrInvalidKey)
	}
	if block.Headers == nil {
		block.Headers = map[string]string{}
	}
	setHeader(block.Headers, "role", info.Role)
	setHeader(block.Headers, "gun", info.GUN)
	return pem.EncodeToMemory(block), nil
}

func setHeader(h map[string]string, k, v string) {
	if v == "" {
		delete(h, k)
	} else {
		h[k] = v
	}
}

// ErrSamePassphrase: the new passphrase of a key is its current one.
var ErrSamePassphrase = errors.New("the new passphrase is the current one")

// ChangePassphrase re-encrypts key id with the source's new passphrase, refusing the
// current one so that it never reports a change that did not happen. A key in a legacy
// layout moves to the flat one, so that no copy under the old passphrase is left.
func (s *Store) ChangePassphrase(id string) error {
	info, err := s.find(id)
	if err != nil {
		return err
	}
	key, err := s.load(info)
	if err != nil {
		return err
	}
	if s.pass == nil {
		return fmt.Errorf("%w for %s key %s", ErrNoPassphrase, info.Role, info.ID)
	}
	pass, err := s.pass.NewPassphrase(info.Role, info.ID)
	if err != nil {
		return err
	}
	if s.decrypts(info, pass) {
		return fmt.Errorf("change the passphrase of key %s: %w", info.ID, ErrSamePassphrase)
	}
	data, err := encodeKeyFile(key, info.Role, info.GUN, pass)
	if err != nil {
		return fmt.Errorf("encode %s key %s: %w", info.Role, info.ID, err)
	}
	flat := s.flatPath(id)
	if err := store.WriteFileAtomic(flat, data); err != nil {
		return fmt.Errorf("write key %s: %w", flat, err)
	}
	if info.Path != flat {
		if err := os.Remove(info.Path); err != nil {
			return fmt.Errorf("remove old key file: %w", err)
		}
	}
	return nil
}

// resolveID turns a key ID prefix into the ID of one of the keys of all.
func resolveID(id string, all []Info) (string, error) {
	ids := make([]string, len(all))
	for i, info := range all {
		ids[i] = info.ID
	}
	full, err := tuf.ResolveKeyID(id, ids)
	if err != nil || full == "" {
		return id, err
	}
	return full, nil
}

// Remove deletes every file holding key id (or a unique prefix of it).
func (s *Store) Remove(id string) error {
	all, err := s.scan()
	if err != nil {
		return err
	}
	if id, err = resolveID(id, all); err != nil {
		return err
	}
	found := false
	for _, info := range all {
		if info.ID != id {
			continue
		}
		found = true
		if err := os.Remove(info.Path); err != nil {
			return fmt.Errorf("remove key %s: %w", id, err)
		}
	}
	if !found {
		return fmt.Errorf("%w: %s in %s", ErrKeyNotFound, id, s.dir.PrivateDir())
	}
	return nil
}

// Import stores the private keys of the PEM blocks in data (source names it in
// messages and passphrase prompts), as `notary key import` does: a block's own role
// and gun headers win over role and gun; the role defaults to "delegation"; gun is kept
// for targets/snapshot/timestamp keys only, which need one. An encrypted block is
// decrypted with the passphrase of its role. Every key is re-encrypted with a new
// passphrase for its role. It is all or nothing: a public key, certificate, unsupported
// or weak key, an existing key without force (ErrKeyExists) or a refused passphrase
// leaves the store unchanged, as does data without any private key.
func (s *Store) Import(data []byte, source, role, gun string, force bool) ([]Info, error) {
	existing, err := s.scan()
	if err != nil {
		return nil, err
	}
	type pending struct {
		key  crypto.Signer
		info Info
	}
	var todo []pending
	index := map[string]int{}
	for _, info := range existing {
		index[info.ID] = -1
	}
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type == pemECParams {
			continue
		}
		key, info, err := s.importBlock(block, source, role, gun)
		if err != nil {
			return nil, fmt.Errorf("import %s (PEM block %d): %w", source, n, err)
		}
		i, dup := index[info.ID]
		if dup && !force {
			return nil, fmt.Errorf("import %s: %w: %s (use force to replace it)", source, ErrKeyExists, info.ID)
		}
		if dup && i >= 0 {
			todo[i] = pending{key, info}
			continue
		}
		index[info.ID] = len(todo)
		todo = append(todo, pending{key, info})
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("import %s: %w: no PEM private key", source, ErrInvalidKey)
	}
	// Encrypt everything before writing anything.
	files := make([][]byte, len(todo))
	for i, p := range todo {
		if files[i], err = s.encode(p.key, p.info); err != nil {
			return nil, fmt.Errorf("import %s: %w", source, err)
		}
	}
	infos := make([]Info, len(todo))
	for i, p := range todo {
		if err := store.WriteFileAtomic(p.info.Path, files[i]); err != nil {
			return nil, fmt.Errorf("write key %s: %w", p.info.Path, err)
		}
		infos[i] = p.info
	}
	return infos, nil
}

// importBlock decodes one block and works out its role and GUN.
func (s *Store) importBlock(block *pem.Block, source, role, gun string) (crypto.Signer, Info, error) {
	r, g := block.Headers["role"], block.Headers["gun"]
	// Bundles of old `notary key export` name the file tuf_keys/<gun>/<id>.
	if p := block.Headers["path"]; p != "" {
		if dir, ok := strings.CutPrefix(path.Dir(p), legacyNonRootDir+"/"); ok && dir != "" {
			g = dir
		}
	}
	if g == "" {
		g = gun
	}
	if r == "" {
		r = cmp.Or(role, defaultImportRole)
	}
	g, err := keyGUN(r, g)
	if err != nil {
		return nil, Info{}, err
	}
	key, err := s.unlock(block, r, source)
	if err != nil {
		return nil, Info{}, err
	}
	pub, err := tuf.PublicKeyFromCrypto(key.Public())
	if err != nil {
		return nil, Info{}, err
	}
	id := pub.ID()
	return key, Info{ID: id, Role: r, GUN: g, Path: s.flatPath(id)}, nil
}
