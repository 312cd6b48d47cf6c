package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Server is a running notary-server (with notary-signer holding the server-managed
// timestamp and snapshot keys), as oracle/server.sh starts it.
type Server struct {
	// URL is the https URL of notary-server.
	URL string
	// CAFile is the PEM file of the CA that issued the server's TLS certificate.
	CAFile string
	// Dir holds the certificates, configurations and logs.
	Dir string
}

// StartServer starts notary-signer and notary-server-fixed (memory storage, no auth,
// TLS with throwaway certificates) on free loopback ports; t.Cleanup stops them.
func StartServer(t testing.TB) *Server {
	t.Helper()
	signerBin, serverBin := RefBin(t, "notary-signer"), RefBin(t, "notary-server-fixed")
	dir := t.TempDir()
	writeCerts(t, dir)
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	writeJSON(t, filepath.Join(dir, "signer.json"), map[string]any{
		"server":  map[string]any{"grpc_addr": grpcAddr, "tls_cert_file": "signer.crt", "tls_key_file": "signer.key", "client_ca_file": "ca.crt"},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	})
	writeJSON(t, filepath.Join(dir, "server.json"), map[string]any{
		"server": map[string]any{"http_addr": httpAddr, "tls_cert_file": "server.crt", "tls_key_file": "server.key"},
		"trust_service": map[string]any{"type": "remote", "hostname": "127.0.0.1", "port": portOf(grpcAddr),
			"tls_ca_file": "ca.crt", "key_algorithm": "ecdsa", "tls_client_cert": "client.crt", "tls_client_key": "client.key"},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	})
	start(t, dir, "signer", signerBin, "-config", filepath.Join(dir, "signer.json"), "-logf", "logfmt")
	waitPort(t, grpcAddr, dir, "signer")
	start(t, dir, "server", serverBin, "-config", filepath.Join(dir, "server.json"), "-logf", "logfmt")
	waitPort(t, httpAddr, dir, "server")
	s := &Server{URL: "https://" + httpAddr, CAFile: filepath.Join(dir, "ca.crt"), Dir: dir}
	s.waitHealthy(t)
	return s
}

// start runs a reference binary in dir; t.Cleanup kills it by its own process.
func start(t testing.TB, dir, name, bin string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func waitPort(t testing.TB, addr, dir, name string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	logs, _ := os.ReadFile(filepath.Join(dir, name+".log"))
	t.Fatalf("notary-%s did not listen on %s:\n%s", name, addr, logs)
}

func (s *Server) waitHealthy(t testing.TB) {
	t.Helper()
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get(s.URL + "/_notary_server/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	logs, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	t.Fatalf("notary-server at %s is not healthy:\n%s", s.URL, logs)
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeCerts makes a CA and the server, signer and mutual-TLS client certificates, like
// oracle/gencerts.sh.
func writeCerts(t testing.TB, dir string) {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "trustctl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	writePEM(t, filepath.Join(dir, "ca.crt"), "CERTIFICATE", caDER)
	for i, leaf := range []struct {
		name, cn string
		eku      x509.ExtKeyUsage
	}{
		{"server", "notary-server", x509.ExtKeyUsageServerAuth},
		{"signer", "notary-signer", x509.ExtKeyUsageServerAuth},
		{"client", "notary-server-client", x509.ExtKeyUsageClientAuth},
	} {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: leaf.cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{leaf.eku},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost", leaf.cn},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(dir, leaf.name+".crt"), "CERTIFICATE", der)
		pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(dir, leaf.name+".key"), "PRIVATE KEY", pkcs8)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}
