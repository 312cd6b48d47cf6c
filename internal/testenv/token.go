package testenv

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TokenService issues docker/distribution registry tokens (ES256 JWT with an x5c chain
// to the server's rootcertbundle) over https on 127.0.0.1; alice (password
// alice-secret) gets what she asks, bob (bob-secret) only pull.
type TokenService struct {
	*httptest.Server
	// Bundle is the rootcertbundle of notary-server's token auth.
	Bundle string
	mu     chan struct{}
	log    []string
}

// NewTokenService starts a token service with a certificate of p; t.Cleanup stops it.
func NewTokenService(t testing.TB, p *PKI) *TokenService {
	certFile, keyFile := p.Leaf(t, "token-signer", x509.ExtKeyUsageServerAuth)
	certPEM, _ := os.ReadFile(certFile)
	keyPEM, _ := os.ReadFile(keyFile)
	certBlock, _ := pem.Decode(certPEM)
	keyBlock, _ := pem.Decode(keyPEM)
	anyKey, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := anyKey.(*ecdsa.PrivateKey)
	ts := &TokenService{Bundle: p.CAFile, mu: make(chan struct{}, 1)}
	pass := map[string]string{"alice": "alice-secret", "bob": "bob-secret"}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, _ := r.BasicAuth()
		scope := r.URL.Query().Get("scope")
		ts.mu <- struct{}{}
		ts.log = append(ts.log, user+" "+scope)
		<-ts.mu
		if pass[user] == "" || pass[user] != pw || r.URL.Query().Get("account") != user {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		// repository:<name>:<actions>, where the name may hold a host:port.
		kind, rest, _ := strings.Cut(scope, ":")
		i := strings.LastIndex(rest, ":")
		if i < 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		name, actions := rest[:i], strings.Split(rest[i+1:], ",")
		if user == "bob" {
			actions = []string{"pull"}
		}
		now := time.Now().Unix()
		header, _ := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(certBlock.Bytes)}})
		claims, _ := json.Marshal(map[string]any{
			"iss": "test-issuer", "sub": user, "aud": r.URL.Query().Get("service"),
			"exp": now + 300, "nbf": now - 10, "iat": now, "jti": rand.Text(),
			"access": []map[string]any{{"type": kind, "name": name, "actions": actions}},
		})
		signingInput := b64url(header) + "." + b64url(claims)
		digest := sha256.Sum256([]byte(signingInput))
		rs, ss, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		sig := make([]byte, 64)
		rs.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		json.NewEncoder(w).Encode(map[string]any{"token": signingInput + "." + b64url(sig), "expires_in": 300})
	}))
	ts.TLS = p.ServerTLS(t, "token-service")
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

// Requests lists "user scope" of the token requests of user.
func (ts *TokenService) Requests(user string) []string {
	ts.mu <- struct{}{}
	defer func() { <-ts.mu }()
	var out []string
	for _, l := range ts.log {
		if strings.HasPrefix(l, user+" ") {
			out = append(out, l)
		}
	}
	return out
}

// AuthOptions is the "auth" section of notary-server's configuration that uses ts
// (ServerOptions.Auth).
func (ts *TokenService) AuthOptions() map[string]any {
	return map[string]any{"type": "token", "options": map[string]any{
		"realm": ts.URL + "/token", "service": "notary-test", "issuer": "test-issuer",
		"rootcertbundle": ts.Bundle,
	}}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
