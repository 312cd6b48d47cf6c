package registry

import (
	"net/url"
	"testing"
)

func TestCredentialRules(t *testing.T) {
	reg := Credential{Username: "u", Secret: "s", Source: "test", Home: "registry.example.com"}
	local := Credential{Username: "u", Secret: "s", Source: "test", Home: "127.0.0.1:5000"}
	hub := Credential{Username: "u", Secret: "s", Source: "test", Home: "docker.io"}
	tests := []struct {
		cred        Credential
		url         string
		basic, real bool // may get Basic auth as the service; may get it as its token realm
	}{
		{reg, "https://registry.example.com/v2/", true, true},
		{reg, "https://registry.example.com:443/v2/", true, true},
		{reg, "https://REGISTRY.example.com/token", true, true},
		{reg, "https://registry.example.com:5001/token", false, true}, // a realm on another port of the host
		{reg, "http://registry.example.com/token", true, false},       // Basic to an http registry, as docker; never an http realm
		{reg, "https://auth.example.com/token", false, false},
		{reg, "https://registry.example.com.evil.test/token", false, false},
		{reg, "https://auth.docker.io/token", false, false},
		{local, "http://127.0.0.1:5000/v2/", true, false},
		{local, "https://127.0.0.1:5001/token", false, true},
		{local, "https://localhost:5000/token", false, false},
		{hub, "https://registry-1.docker.io/v2/", true, false},
		{hub, "https://index.docker.io/v2/", true, false},
		{hub, "http://registry-1.docker.io/v2/", false, false},
		{hub, "https://auth.docker.io/token", false, true},
		{hub, "https://notary.docker.io/v2/", false, false},
		{Credential{Username: "u"}, "https://registry.example.com/v2/", false, false}, // no home: nowhere
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := tt.cred.AllowedAt(u); got != tt.basic {
			t.Errorf("%s AllowedAt %s = %v", tt.cred.Home, tt.url, got)
		}
		if err := tt.cred.AllowedRealm(u); (err == nil) != tt.real {
			t.Errorf("%s AllowedRealm %s: %v", tt.cred.Home, tt.url, err)
		}
	}
}
