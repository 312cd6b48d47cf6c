package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
)

// Token-auth actions per operation, as the notary CLI requests them (SPEC 5.1, 5.5).
const (
	actionsPull     = "pull"
	actionsPushPull = "push,pull"
	actionsAll      = "*"
)

// maxTokenBody bounds a token service answer.
const maxTokenBody = 1 << 20

// Credential is presented to the server (Basic auth) or to its token service.
type Credential struct {
	Username string
	// Secret is the password or access token; it is never logged or printed.
	Secret string
	// Source says where the credential came from, for messages:
	// "NOTARY_AUTH", "credential helper desktop", "/home/u/.docker/config.json auth for host".
	Source string
}

// CredentialFunc returns the credential to present to host, the notary server's
// host[:port]. A zero Username and Secret means anonymous.
type CredentialFunc func(host string) (Credential, error)

// dockerHubKey is where docker stores Docker Hub credentials in config.json.
const dockerHubKey = "https://index.docker.io/v1/"

// DockerCredentials reads credentials as docker does: from config.json in configDir (""
// = docker's default) through credential helpers, credsStore or the "auths" entries, and
// DOCKER_AUTH_CONFIG. Docker presents the image registry's credentials to the notary
// server: with registryHost set they are used whatever the server host; with it empty
// the server's own host is looked up.
func DockerCredentials(configDir, registryHost string) CredentialFunc {
	return func(host string) (Credential, error) {
		if registryHost != "" {
			host = registryHost
		}
		cf, err := config.Load(configDir)
		if err != nil {
			return Credential{}, err
		}
		key := host
		if host == "docker.io" || host == "index.docker.io" {
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
		ac, err := cf.GetAuthConfig(host)
		if err != nil {
			return Credential{Source: source}, fmt.Errorf("%s: %w", source, err)
		}
		return Credential{Username: ac.Username, Secret: ac.Password, Source: source}, nil
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

// NotaryAuth decodes the notary CLI's NOTARY_AUTH value, base64("user:password"), into
// a credential used for every host.
func NotaryAuth(value string) (CredentialFunc, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return nil, errors.New("NOTARY_AUTH is not base64(user:password)")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return nil, errors.New("NOTARY_AUTH is not base64(user:password)")
	}
	cred := Credential{Username: user, Secret: pass, Source: "NOTARY_AUTH"}
	return func(string) (Credential, error) { return cred, nil }, nil
}

// challenge is one WWW-Authenticate challenge; scheme is lower case.
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges reads WWW-Authenticate headers (RFC 7235: several challenges per
// header, auth-params with token or quoted-string values).
func parseChallenges(headers []string) []challenge {
	var out []challenge
	for _, s := range headers {
		for {
			s = strings.TrimLeft(s, " \t,")
			scheme, rest := httpToken(s)
			if scheme == "" {
				break
			}
			c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
			s = rest
			for {
				p := strings.TrimLeft(s, " \t,")
				key, after := httpToken(p)
				after = strings.TrimLeft(after, " \t")
				if key == "" || !strings.HasPrefix(after, "=") {
					// Not a parameter: the next challenge (or junk) starts here.
					s = p
					break
				}
				var val string
				val, s = httpValue(strings.TrimLeft(after[1:], " \t"))
				c.params[strings.ToLower(key)] = val
			}
			out = append(out, c)
		}
	}
	return out
}

func httpToken(s string) (tok, rest string) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	})
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// httpValue reads a quoted-string, or an unquoted value up to the next comma or space
// (more lenient than RFC 7235's token: some servers send unquoted URLs).
func httpValue(s string) (val, rest string) {
	if !strings.HasPrefix(s, `"`) {
		if i := strings.IndexAny(s, ", \t"); i >= 0 {
			return s[:i], s[i:]
		}
		return s, ""
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// pickChallenge prefers bearer (token auth) to basic, ignoring schemes notary does not use.
func pickChallenge(cs []challenge) *challenge {
	var basic *challenge
	for i := range cs {
		switch cs[i].scheme {
		case "bearer":
			return &cs[i]
		case "basic":
			if basic == nil {
				basic = &cs[i]
			}
		}
	}
	return basic
}

type token struct {
	value   string
	expires time.Time
}

// fetchToken asks the token service of a bearer challenge for
// repository:<GUN>:<actions>, presenting the credential with Basic auth, as docker's
// and notary's token handlers do.
func (c *Client) fetchToken(ctx context.Context, ch *challenge, actions string) (token, error) {
	realm, err := url.Parse(ch.params["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" {
		return token{}, fmt.Errorf("notary server %s sent an invalid token realm %q", c.base, ch.params["realm"])
	}
	cred := c.credential()
	hasCred := cred.Username != "" || cred.Secret != ""
	if hasCred && realm.Scheme == "http" && c.base.Scheme == "https" {
		return token{}, fmt.Errorf("token service %s is plain http: not sending the credentials of %s to it", realm.Redacted(), cred.Source)
	}
	q := realm.Query()
	if s := ch.params["service"]; s != "" {
		q.Set("service", s)
	}
	q.Set("scope", "repository:"+c.gun+":"+actions)
	if cred.Username != "" {
		q.Set("account", cred.Username)
	}
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return token{}, err
	}
	if hasCred {
		req.SetBasicAuth(cred.Username, cred.Secret)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return token{}, err
	}
	defer resp.Body.Close()
	c.log.DebugContext(ctx, "token request", "realm", realm.Redacted(), "scope", q.Get("scope"),
		"status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return token{}, fmt.Errorf("token service %s: %w", realm.Redacted(), ParseError(resp.StatusCode, body))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return token{}, err
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return token{}, fmt.Errorf("token service %s: invalid answer: %w", realm.Redacted(), err)
	}
	t := token{value: tr.Token}
	if t.value == "" {
		t.value = tr.AccessToken
	}
	if t.value == "" {
		return token{}, fmt.Errorf("token service %s returned no token", realm.Redacted())
	}
	// Docker's default lifetime is 60 s; renew a little early.
	life := 60 * time.Second
	if tr.ExpiresIn > 0 {
		life = time.Duration(tr.ExpiresIn) * time.Second
	}
	t.expires = time.Now().Add(life - life/10)
	return t, nil
}

// credential looks the credential up once per client; a failing lookup (a broken
// credential helper) continues anonymously, as docker does, and is named in 401s.
func (c *Client) credential() Credential {
	c.credOnce.Do(func() {
		if c.creds == nil {
			return
		}
		c.cred, c.credErr = c.creds(c.base.Host)
		if c.credErr != nil {
			c.log.Warn("cannot read credentials; continuing without", "host", c.base.Host, "error", c.credErr)
		}
	})
	return c.cred
}

// credentialText names the credentials tried, never the secret.
func (c *Client) credentialText() string {
	cred := c.credential()
	switch {
	case c.credErr != nil:
		return "no credentials could be read: " + clean(c.credErr.Error())
	case cred.Username != "":
		return fmt.Sprintf("tried user %q from %s", cred.Username, cred.Source)
	case cred.Secret != "":
		return "tried a token from " + cred.Source
	case cred.Source != "":
		return "no credentials in " + cred.Source
	}
	return "no credentials were given"
}
