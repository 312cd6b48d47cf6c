// Package bundle reads MKE/UCP client bundles: a zip file or an unpacked folder with
// cert.pem (the user's certificate, issued by the cluster CA), key.pem (its unencrypted
// private key), ca.pem, cert.pub and env.sh. cert.pem and key.pem are required.
//
// The certificate's subject gives the identity (CN = user, OU = teams); its public key
// is what a repository owner delegates to and key.pem is what the user signs with.
// Nothing in a bundle is executed: env.sh is scanned for `export KEY=VALUE` lines only.
package bundle

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Limits that keep a hostile bundle from exhausting memory.
const (
	maxFileSize   = 1 << 20 // each file read from a bundle
	maxZipSize    = 64 << 20
	maxZipEntries = 1000
)

// Files read from a bundle.
const (
	certFile = "cert.pem"
	keyFile  = "key.pem"
	caFile   = "ca.pem"
	envFile  = "env.sh"
)

var wanted = []string{certFile, keyFile, caFile, envFile}

// Bundle is a client bundle whose key matches its certificate.
type Bundle struct {
	Source  string            // the zip file or folder it was read from
	Cert    *x509.Certificate // the first certificate of cert.pem
	CertPEM []byte
	KeyPEM  []byte
	CAPEM   []byte            // nil when the bundle has no ca.pem
	Env     map[string]string // the `export KEY=VALUE` lines of env.sh
}

// Open reads the bundle at path, a zip file or a folder. In a zip the files may sit in
// one top-level folder; entries with unsafe names (absolute, "..") are ignored.
func Open(path string) (*Bundle, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open client bundle: %w", err)
	}
	var files map[string][]byte
	if fi.IsDir() {
		files, err = readFolder(path)
	} else {
		files, err = readZipFile(path, fi.Size())
	}
	if err != nil {
		return nil, err
	}
	return parse(path, files)
}

func readFolder(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range wanted {
		p := filepath.Join(dir, name)
		data, err := readLimited(p, func() (io.ReadCloser, error) { return fsread.Open(p) })
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

func readZipFile(p string, size int64) (map[string][]byte, error) {
	if size > maxZipSize {
		return nil, fmt.Errorf("client bundle %s: zip of %d bytes, at most %d accepted", p, size, maxZipSize)
	}
	f, err := fsread.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open client bundle: %w", err)
	}
	defer f.Close()
	return readZip(f, size, p)
}

// readZip returns the wanted files of the zip, from its top level or else from its one
// top-level folder that holds them.
func readZip(r io.ReaderAt, size int64, source string) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("client bundle %s: corrupt zip: %w", source, err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("client bundle %s: %d zip entries, at most %d accepted", source, len(zr.File), maxZipEntries)
	}
	byDir := map[string]map[string]*zip.File{}
	for _, f := range zr.File {
		dir, base, ok := entryName(f.Name)
		if !ok || f.FileInfo().IsDir() || !isWanted(base) {
			continue
		}
		if byDir[dir] == nil {
			byDir[dir] = map[string]*zip.File{}
		}
		if _, dup := byDir[dir][base]; !dup {
			byDir[dir][base] = f
		}
	}
	dir, err := bundleDir(byDir, source)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for base, f := range byDir[dir] {
		if f.UncompressedSize64 > maxFileSize {
			return nil, fmt.Errorf("%s in %s: over %d bytes", f.Name, source, maxFileSize)
		}
		data, err := readLimited(f.Name+" in "+source, func() (io.ReadCloser, error) { return f.Open() })
		if err != nil {
			return nil, err
		}
		files[base] = data
	}
	return files, nil
}

// entryName splits a zip entry name into a top-level folder ("" for none) and a base
// name; deeper or unsafe names are refused.
func entryName(name string) (dir, base string, ok bool) {
	if name == "" || strings.ContainsAny(name, "\\\x00") || path.IsAbs(name) || path.Clean(name) != name {
		return "", "", false
	}
	dir, base = path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == ".." || strings.Contains(dir, "/") || base == ".." {
		return "", "", false
	}
	return dir, base, true
}

func isWanted(base string) bool {
	for _, w := range wanted {
		if base == w {
			return true
		}
	}
	return false
}

// bundleDir picks the folder of the zip that holds the bundle: the top level when it
// has cert.pem or key.pem, else the single folder that does.
func bundleDir(byDir map[string]map[string]*zip.File, source string) (string, error) {
	var dirs []string
	for dir, files := range byDir {
		if files[certFile] != nil || files[keyFile] != nil {
			if dir == "" {
				return "", nil
			}
			dirs = append(dirs, dir)
		}
	}
	switch len(dirs) {
	case 0:
		return "", nil // parse reports what is missing
	case 1:
		return dirs[0], nil
	}
	return "", fmt.Errorf("client bundle %s: several bundles in one zip (%s)", source, strings.Join(dirs, ", "))
}

// readLimited reads at most maxFileSize bytes, failing beyond.
func readLimited(name string, open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: over %d bytes", name, maxFileSize)
	}
	return data, nil
}

func parse(source string, files map[string][]byte) (*Bundle, error) {
	where := func(name string) string { return name + " in client bundle " + source }
	b := &Bundle{Source: source, CertPEM: files[certFile], KeyPEM: files[keyFile], CAPEM: files[caFile]}
	if b.CertPEM == nil {
		return nil, fmt.Errorf("%s: missing", where(certFile))
	}
	if b.KeyPEM == nil {
		return nil, fmt.Errorf("%s: missing", where(keyFile))
	}
	cert, err := parseCert(b.CertPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(certFile), err)
	}
	b.Cert = cert
	key, err := parseKey(b.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(keyFile), err)
	}
	if b.CAPEM != nil {
		if _, err := parseCert(b.CAPEM); err != nil {
			return nil, fmt.Errorf("%s: %w", where(caFile), err)
		}
	}
	certKey, err := tuf.PublicKeyFromCrypto(cert.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(certFile), err)
	}
	privKey, err := tuf.PublicKeyFromCrypto(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(keyFile), err)
	}
	if certKey.ID() != privKey.ID() {
		return nil, fmt.Errorf("client bundle %s: key.pem does not belong to cert.pem (key %s, certificate key %s)", source, privKey.ID(), certKey.ID())
	}
	b.Env = ParseEnv(files[envFile])
	return b, nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New("no PEM certificate")
		}
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse certificate: %w", err)
			}
			return cert, nil
		}
	}
}

// parseKey reads the unencrypted key of a bundle (SEC1, PKCS#1 or PKCS#8).
func parseKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New("no PEM private key")
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted {
			return nil, errors.New("encrypted key; import the key file itself instead")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "EC PARAMETERS":
			continue // `openssl ecparam -genkey` writes it before the key
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("%s block, want an unencrypted private key", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", key)
		}
		return signer, nil
	}
}

// User is the certificate's common name: the MKE/UCP user name.
func (b *Bundle) User() string { return b.Cert.Subject.CommonName }

// Teams are the certificate's organizational units, where MKE/UCP puts the user's
// teams (empty for certificates without any).
func (b *Bundle) Teams() []string { return b.Cert.Subject.OrganizationalUnit }

// KeyID is the canonical key ID of the certificate's public key: the name of the key
// file once key.pem is imported and the ID `notary delegation list` shows.
func (b *Bundle) KeyID() string {
	// parse checked that the key converts.
	pub, _ := tuf.PublicKeyFromCrypto(b.Cert.PublicKey)
	return pub.ID()
}

var (
	exportLine = regexp.MustCompile(`^export[ \t]+([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	// unquotedEnd ends an unquoted shell word.
	unquotedEnd = " \t;&|<>()`"
)

// ParseEnv reads the `export KEY=VALUE` lines of an env.sh, with surrounding quotes
// removed; every other line (conditionals, commands, comments) is ignored and nothing
// is expanded: `$PWD` stays as written.
func ParseEnv(data []byte) map[string]string {
	env := map[string]string{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		m := exportLine.FindSubmatch(bytes.TrimSpace(line))
		if m == nil {
			continue
		}
		if v, ok := shellValue(string(m[2])); ok {
			env[string(m[1])] = v
		}
	}
	return env
}

// shellValue takes the first word of a value: a quoted string without its quotes, or
// an unquoted word up to whitespace or a shell operator.
func shellValue(s string) (string, bool) {
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", false
		}
		return s[1 : 1+end], true
	}
	if i := strings.IndexAny(s, unquotedEnd); i >= 0 {
		s = s[:i]
	}
	return s, true
}
