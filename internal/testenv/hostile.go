package testenv

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Hostile is a set of malicious servers on 127.0.0.1, https (certificates of one PKI)
// or plain http, that record every request they get and the Authorization it carried.
// Each server answers with its own handler.
type Hostile struct {
	PKI *PKI

	mu   sync.Mutex
	seen []Seen
}

// Seen is one request a hostile server got.
type Seen struct {
	// Server is the name given to Serve.
	Server string
	// Host is the server's host:port; Method and Path the request's.
	Host, Method, Path string
	// Authorization is the header as received, "" when absent.
	Authorization string
	// AcceptEncoding is the header as received.
	AcceptEncoding string
}

// NewHostile makes an empty set with a new PKI (a set may also share one: &Hostile{PKI: p}).
func NewHostile(t testing.TB) *Hostile {
	return &Hostile{PKI: NewPKI(t)}
}

// HostileServer is one recording server.
type HostileServer struct {
	*httptest.Server
	// Host is host:port, for URLs and image names.
	Host string
}

// Serve starts a server named name (https when tls, plain http otherwise) that records
// each request, then lets h answer; t.Cleanup stops it.
func (hs *Hostile) Serve(t testing.TB, name string, tls bool, h http.HandlerFunc) *HostileServer {
	t.Helper()
	s := &HostileServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		hs.seen = append(hs.seen, Seen{Server: name, Host: r.Host, Method: r.Method, Path: r.URL.Path,
			Authorization: r.Header.Get("Authorization"), AcceptEncoding: r.Header.Get("Accept-Encoding")})
		hs.mu.Unlock()
		h(w, r)
	}))
	if tls {
		s.TLS = hs.PKI.ServerTLS(t, "hostile-"+name)
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	s.Host = strings.TrimPrefix(strings.TrimPrefix(s.URL, "https://"), "http://")
	return s
}

// Seen returns the requests recorded so far.
func (hs *Hostile) Seen() []Seen {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]Seen(nil), hs.seen...)
}

// Authorized returns the names of the servers that received an Authorization header
// containing secret (the raw header, so a Basic header is matched by its base64).
func (hs *Hostile) Authorized(secret string) []string {
	var out []string
	for _, s := range hs.Seen() {
		if secret != "" && strings.Contains(s.Authorization, secret) && !slices.Contains(out, s.Server) {
			out = append(out, s.Server)
		}
	}
	return out
}
