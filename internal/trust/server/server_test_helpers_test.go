package server

import (
	"context"
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
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/testenv"
)

// pki is a throwaway CA issuing the TLS certificates of one test deployment (what the
// oracle's gencerts.sh makes with openssl).
type pki struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	CAFile string
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "trustctl-test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{dir: t.TempDir(), ca: ca, caKey: key}
	p.CAFile = filepath.Join(p.dir, "ca.crt")
	writePEM(t, p.CAFile, "CERTIFICATE", der)
	return p
}

// leaf issues a certificate for 127.0.0.1/localhost and writes name.crt and name.key.
func (p *pki) leaf(t testing.TB, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost", name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", pkcs8)
	return certFile, keyFile
}

// serverTLS is the TLS configuration of a test server in Go with a certificate of p.
func (p *pki) serverTLS(t testing.TB, name string) *tls.Config {
	t.Helper()
	c, k := p.leaf(t, name, x509.ExtKeyUsageServerAuth)
	pair, err := tls.LoadX509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t testing.TB, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// notaryServer is a real notary-server + notary-signer (mode "remote" of the oracle's
// server.sh: memory storage, ecdsa keys, gRPC over mutual TLS) on 127.0.0.1 with TLS.
type notaryServer struct {
	URL  string
	PKI  *pki
	logs []string
}

// startNotary runs the reference binary server ("notary-server" or
// "notary-server-fixed"); auth, when set, returns the "auth" section of its config
// (given the deployment's CA, to issue certificates to a token service).
func startNotary(t testing.TB, server string, auth func(*pki) map[string]any) *notaryServer {
	t.Helper()
	serverBin := testenv.RefBin(t, server)
	signerBin := testenv.RefBin(t, "notary-signer")
	p := newPKI(t)
	signerCrt, signerKey := p.leaf(t, "notary-signer", x509.ExtKeyUsageServerAuth)
	serverCrt, serverKey := p.leaf(t, "notary-server", x509.ExtKeyUsageServerAuth)
	clientCrt, clientKey := p.leaf(t, "notary-server-client", x509.ExtKeyUsageClientAuth)
	ns := &notaryServer{PKI: p}

	gport := freePort(t)
	ns.run(t, signerBin, gport, map[string]any{
		"server": map[string]any{
			"grpc_addr":      fmt.Sprintf("127.0.0.1:%d", gport),
			"tls_cert_file":  signerCrt,
			"tls_key_file":   signerKey,
			"client_ca_file": p.CAFile,
		},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	})
	sport := freePort(t)
	cfg := map[string]any{
		"server": map[string]any{
			"http_addr":     fmt.Sprintf("127.0.0.1:%d", sport),
			"tls_cert_file": serverCrt,
			"tls_key_file":  serverKey,
		},
		"trust_service": map[string]any{
			"type": "remote", "hostname": "127.0.0.1", "port": fmt.Sprint(gport),
			"tls_ca_file": p.CAFile, "key_algorithm": "ecdsa",
			"tls_client_cert": clientCrt, "tls_client_key": clientKey,
		},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	}
	if auth != nil {
		cfg["auth"] = auth(p)
	}
	ns.run(t, serverBin, sport, cfg)
	ns.URL = fmt.Sprintf("https://127.0.0.1:%d", sport)
	return ns
}

// run starts bin with the JSON config and waits until it listens on port.
func (ns *notaryServer) run(t testing.TB, bin string, port int, cfg map[string]any) {
	t.Helper()
	name := filepath.Base(bin)
	cfgFile := filepath.Join(ns.PKI.dir, name+".json")
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(ns.PKI.dir, name+".log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgFile, "-logf", "logfmt")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("%s log:\n%s", name, tail(string(log), 30))
		}
	})
	ns.logs = append(ns.logs, logFile)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited at start:\n%s", name, tail(string(log), 30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on port %d", name, port)
		}
	}
}

// serverLog is what notary-server logged so far (one line per request).
func (ns *notaryServer) serverLog(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(ns.logs[len(ns.logs)-1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// httpClient trusts the deployment's CA, for tests that talk to it directly.
func (ns *notaryServer) httpClient(t testing.TB) *http.Client {
	t.Helper()
	tc, err := tlsConfig("", Options{CAFile: ns.PKI.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
}

// notaryCLI runs the reference notary client against the deployment with trust dir dir.
func (ns *notaryServer) notaryCLI(t testing.TB, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"-s", ns.URL, "-d", dir, "--tlscacert", ns.PKI.CAFile}, args...)
	cmd := exec.CommandContext(ctx, testenv.RefBin(t, "notary"), full...)
	cmd.Env = append(os.Environ(),
		"NOTARY_ROOT_PASSPHRASE=test-passphrase", "NOTARY_TARGETS_PASSPHRASE=test-passphrase",
		"NOTARY_SNAPSHOT_PASSPHRASE=test-passphrase", "NOTARY_DELEGATION_PASSPHRASE=test-passphrase")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("notary %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
