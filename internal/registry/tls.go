package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustctl/trustctl/internal/fsread"
)

// TLS chooses the client TLS configuration of one host.
type TLS struct {
	// CAFile holds PEM CAs trusted besides the system ones (--tlscacert).
	CAFile string
	// DockerConfigDir enables docker's per-host TLS files:
	// <dir>/tls/<host[:port]>/*.crt (CAs) and X.cert+X.key (client certificates).
	DockerConfigDir string
	// ClientCert and ClientKey are a PEM client certificate pair (a client bundle's
	// cert.pem and key.pem).
	ClientCert, ClientKey string
	// SkipVerify disables server certificate checks.
	SkipVerify bool
}

// TLSConfig builds the client TLS configuration the way docker does for a notary server
// (SPEC 1.1) and a registry: extra CAs are added to the system pool, client
// certificates come from an explicit pair and from $DOCKER_CONFIG/tls/<host[:port]>/.
func TLSConfig(host string, o TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.SkipVerify}
	addCAs := func(file string) error {
		pemData, err := fsread.ReadFile(file, fsread.PEMLimit)
		if err != nil {
			return err
		}
		if cfg.RootCAs == nil {
			if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
				cfg.RootCAs = x509.NewCertPool()
			}
		}
		if !cfg.RootCAs.AppendCertsFromPEM(pemData) {
			return fmt.Errorf("no PEM certificate in %s", file)
		}
		return nil
	}
	if o.CAFile != "" {
		if err := addCAs(o.CAFile); err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
	}
	if o.ClientCert != "" || o.ClientKey != "" {
		if o.ClientCert == "" || o.ClientKey == "" {
			return nil, errors.New("TLS client certificate: both the certificate and the key file are needed")
		}
		pair, err := loadKeyPair(o.ClientCert, o.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, pair)
	}
	if o.DockerConfigDir == "" {
		return cfg, nil
	}
	dir := filepath.Join(o.DockerConfigDir, "tls", host)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	// The rules of docker's ReadCertsDirectory: *.crt are CAs, X.cert+X.key client pairs,
	// and a half pair is an error.
	for _, e := range entries {
		name := e.Name()
		file := filepath.Join(dir, name)
		switch filepath.Ext(name) {
		case ".crt":
			if err := addCAs(file); err != nil {
				return nil, fmt.Errorf("TLS CA: %w", err)
			}
		case ".cert":
			keyFile := strings.TrimSuffix(file, ".cert") + ".key"
			pair, err := loadKeyPair(file, keyFile)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("TLS: missing key %s for client certificate %s (CA certificates must use the extension .crt)", keyFile, file)
			}
			if err != nil {
				return nil, fmt.Errorf("TLS client certificate: %w", err)
			}
			cfg.Certificates = append(cfg.Certificates, pair)
		case ".key":
			certFile := strings.TrimSuffix(file, ".key") + ".cert"
			if _, err := os.Stat(certFile); err != nil {
				return nil, fmt.Errorf("TLS: missing client certificate %s for key %s", certFile, file)
			}
		}
	}
	return cfg, nil
}

// loadKeyPair is tls.LoadX509KeyPair through fsread: a FIFO or a device named as a
// certificate or key must not block the process or fill its memory.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := fsread.ReadFile(certFile, fsread.PEMLimit)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := fsread.ReadFile(keyFile, fsread.PEMLimit)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(cert, key)
}
