package registry

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/docker/cli/cli/config"
)

// Credential is a user name and secret, and where they may be presented.
type Credential struct {
	Username string
	// Secret is the password or access token; it is never logged or printed.
	Secret string
	// Source says where the credential came from, for messages:
	// "NOTARY_AUTH", "credential helper desktop", "/home/u/.docker/config.json auth for host".
	Source string
	// Home is the host[:port] the credential belongs to: the registry it is stored for
	// in docker's configuration, or the notary server NOTARY_AUTH is given for. It is
	// presented to Home itself, and to token services Allowed accepts.
	Home string
}

// empty tells an anonymous credential.
func (c Credential) empty() bool { return c.Username == "" && c.Secret == "" }

// CredentialFunc returns the credential of one registry or server, looked up when it
// is first needed. A zero Username and Secret means anonymous.
type CredentialFunc func() (Credential, error)

// Docker Hub: docker stores its credential under dockerHubKey, addresses the registry
// as any of dockerHubHosts and gets tokens from dockerHubAuth (docker/cli
// registry.IndexServer, distribution's default token realm for registry-1.docker.io).
const (
	dockerHubKey  = "https://index.docker.io/v1/"
	dockerHubAuth = "auth.docker.io"
)

var dockerHubHosts = []string{"docker.io", "index.docker.io", "registry-1.docker.io"}

func isDockerHub(host string) bool {
	for _, h := range dockerHubHosts {
		if strings.EqualFold(host, h) || strings.EqualFold(host, h+":443") {
			return true
		}
	}
	return false
}

// AllowedAt tells whether the credential may be sent as Basic auth to the service at
// u: only to its Home, scheme's default port when Home names none. Docker Hub's names
// are one home.
func (c Credential) AllowedAt(u *url.URL) bool {
	if c.Home == "" {
		return false
	}
	if isDockerHub(c.Home) {
		return u.Scheme == "https" && isDockerHub(u.Host)
	}
	hh, hp := splitHostPort(c.Home, defaultPort(u.Scheme))
	uh, up := splitHostPort(u.Host, defaultPort(u.Scheme))
	return strings.EqualFold(hh, uh) && hp == up
}

// AllowedRealm says why the credential may not be sent to the token service at realm
// (nil when it may): only over https, and only to a realm on Home's host name (any
// port) or, for Docker Hub, to auth.docker.io. Docker sends a registry's credential to
// whatever realm the registry names; a hostile registry or notary server could then
// collect it (docs/design.md, "Threat model").
func (c Credential) AllowedRealm(realm *url.URL) error {
	if realm.Scheme != "https" {
		return fmt.Errorf("token service %s is not https", realm.Redacted())
	}
	if c.Home == "" {
		return fmt.Errorf("the credential of %s has no home host", c.Source)
	}
	rh, _ := splitHostPort(realm.Host, "443")
	if isDockerHub(c.Home) {
		if strings.EqualFold(rh, dockerHubAuth) {
			return nil
		}
		return fmt.Errorf("token service %s is not %s", realm.Redacted(), dockerHubAuth)
	}
	hh, _ := splitHostPort(c.Home, "443")
	if !strings.EqualFold(rh, hh) {
		return fmt.Errorf("token service %s is not on %s", realm.Redacted(), hh)
	}
	return nil
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

func splitHostPort(hostport, port string) (string, string) {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return strings.Trim(hostport, "[]"), port
	}
	return h, p
}

// DockerCredentials reads the credential docker stores for registryHost (host[:port];
// docker.io and its aliases are Docker Hub): from config.json in configDir (""=
// docker's default) through credential helpers, credsStore or the "auths" entries, and
// DOCKER_AUTH_CONFIG.
func DockerCredentials(configDir, registryHost string) CredentialFunc {
	return func() (Credential, error) {
		cf, err := config.Load(configDir)
		if err != nil {
			return Credential{}, err
		}
		key := registryHost
		if isDockerHub(registryHost) {
			key = dockerHubKey
		}
		var source string
		switch {
		case inDockerAuthEnv(key):
			source = "DOCKER_AUTH_CONFIG auth for " + key
		case cf.CredentialHelpers[key] != "":
			source = "credential helper " + cf.CredentialHelpers[key]
		case cf.CredentialsStore != "":
			source = "credential store " + cf.CredentialsStore
		default:
			source = cf.Filename + " auth for " + key
		}
		ac, err := cf.GetAuthConfig(key)
		if err != nil {
			return Credential{Source: source}, fmt.Errorf("%s: %w", source, err)
		}
		return Credential{Username: ac.Username, Secret: ac.Password, Source: source, Home: registryHost}, nil
	}
}

// inDockerAuthEnv tells whether DOCKER_AUTH_CONFIG holds credentials for key; docker's
// credential store then answers from it before config.json.
func inDockerAuthEnv(key string) bool {
	var env struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	v := os.Getenv("DOCKER_AUTH_CONFIG")
	if v == "" || json.Unmarshal([]byte(v), &env) != nil {
		return false
	}
	_, ok := env.Auths[key]
	return ok
}
