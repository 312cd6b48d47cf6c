package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Server is a running notary-server with notary-signer holding the server-managed
// timestamp and snapshot keys, as oracle/server.sh starts them in mode "remote": memory
// storage, ecdsa keys, gRPC over mutual TLS, all on 127.0.0.1 with TLS.
type Server struct {
	// URL is the https URL of notary-server.
	URL string
	// CAFile is the PEM file of the CA that issued the server's TLS certificate.
	CAFile string
	// Dir holds the certificates, configurations and logs.
	Dir string

	log string // notary-server's log file
}

// ServerOptions choose what StartServerWith runs.
type ServerOptions struct {
	// Binary is the reference notary-server to run: "notary-server-fixed" (the default)
	// or the stock "notary-server".
	Binary string
	// Auth, when set, returns the "auth" section of notary-server's configuration. It
	// gets the deployment's CA, to issue the certificate of a token service.
	Auth func(*PKI) map[string]any
}

// StartServer starts notary-signer and notary-server-fixed without auth on free
// loopback ports; t.Cleanup stops them. Unlike StartServerWith it never calls
// t.Failed, which cmd/trustctl's scriptTB, a partial testing.TB, does not implement.
func StartServer(t testing.TB) *Server {
	t.Helper()
	return startServer(t, ServerOptions{}, false)
}

// StartServerWith starts notary-signer and the notary-server of opts like StartServer,
// and, if the test fails, logs the end of both binaries' logs.
func StartServerWith(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	return startServer(t, opts, true)
}

func startServer(t testing.TB, opts ServerOptions, logOnFailure bool) *Server {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = "notary-server-fixed"
	}
	serverBin, signerBin := RefBin(t, opts.Binary), RefBin(t, "notary-signer")
	p := NewPKI(t)
	var procs []*proc
	if logOnFailure {
		// Registered before the binaries start, so it runs after they are stopped.
		t.Cleanup(func() {
			if t.Failed() {
				for _, p := range procs {
					t.Logf("%s log:\n%s", p.name, p.tail())
				}
			}
		})
	}
	signerCrt, signerKey := p.Leaf(t, "notary-signer", x509.ExtKeyUsageServerAuth)
	serverCrt, serverKey := p.Leaf(t, "notary-server", x509.ExtKeyUsageServerAuth)
	clientCrt, clientKey := p.Leaf(t, "notary-server-client", x509.ExtKeyUsageClientAuth)

	// Each port is taken while the binaries started before it hold theirs, so that
	// freeAddr cannot hand out the same port twice.
	grpcAddr := freeAddr(t)
	procs = append(procs, run(t, p.Dir, signerBin, grpcAddr, map[string]any{
		"server": map[string]any{
			"grpc_addr":      grpcAddr,
			"tls_cert_file":  signerCrt,
			"tls_key_file":   signerKey,
			"client_ca_file": p.CAFile,
		},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	}))
	_, grpcPort, _ := net.SplitHostPort(grpcAddr)
	httpAddr := freeAddr(t)
	cfg := map[string]any{
		"server": map[string]any{
			"http_addr":     httpAddr,
			"tls_cert_file": serverCrt,
			"tls_key_file":  serverKey,
		},
		"trust_service": map[string]any{
			"type": "remote", "hostname": "127.0.0.1", "port": grpcPort,
			"tls_ca_file": p.CAFile, "key_algorithm": "ecdsa",
			"tls_client_cert": clientCrt, "tls_client_key": clientKey,
		},
		"logging": map[string]any{"level": "info"},
		"storage": map[string]any{"backend": "memory"},
	}
	if opts.Auth != nil {
		cfg["auth"] = opts.Auth(p)
	}
	server := run(t, p.Dir, serverBin, httpAddr, cfg)
	procs = append(procs, server)
	s := &Server{URL: "https://" + httpAddr, CAFile: p.CAFile, Dir: p.Dir, log: server.log}
	s.waitHealthy(t, server)
	return s
}

// run starts a notary binary with its JSON configuration (dir/<binary>.json, logs in
// dir/<binary>.log) and waits until it listens on addr.
func run(t testing.TB, dir, bin, addr string, cfg map[string]any) *proc {
	t.Helper()
	name := filepath.Base(bin)
	cfgFile := filepath.Join(dir, name+".json")
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, name, bin, "-config", cfgFile, "-logf", "logfmt")
	p.waitListen(t, addr)
	return p
}

// Log is what notary-server logged so far (logfmt, a line per request).
func (s *Server) Log(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitHealthy waits until notary-server's health check, which needs no auth, passes.
func (s *Server) waitHealthy(t testing.TB, server *proc) {
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
	t.Fatalf("notary-server at %s is not healthy:\n%s", s.URL, server.tail())
}
