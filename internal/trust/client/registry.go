package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/trustctl/trustctl/internal/trust/server"
)

// maxManifest bounds a manifest download (registries refuse more than 4 MiB).
const maxManifest = 4 << 20

// manifestTypes are the manifests docker signs: the index of a multi-platform image
// or the manifest of a single one.
var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
}

// Registry resolves tags to manifests on image registries.
type Registry struct {
	// Credentials are presented to a registry (or its token service) that asks.
	Credentials server.CredentialFunc
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
}

// Resolve returns the digest and size of the manifest gun:tag, as `docker trust sign`
// signs it. Loopback registries are tried over plain HTTP when HTTPS fails, as docker
// treats them as insecure registries.
func (g Registry) Resolve(ctx context.Context, gun, tag string) (Target, error) {
	host, repo, ok := strings.Cut(gun, "/")
	if !ok {
		return Target{}, fmt.Errorf("repository %q has no registry host", gun)
	}
	if host == "docker.io" {
		host = "registry-1.docker.io"
	}
	path := "/v2/" + repo + "/manifests/" + url.PathEscape(tag)
	body, digest, err := g.get(ctx, "https://"+host+path, repo)
	var se *registryError
	if err != nil && !errors.As(err, &se) && isLoopback(host) {
		body, digest, err = g.get(ctx, "http://"+host+path, repo)
	}
	if err != nil {
		return Target{}, fmt.Errorf("resolve %s:%s: %w", gun, tag, err)
	}
	sum := sha256.Sum256(body)
	t := Target{Name: tag, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(body))}
	if digest != "" && strings.HasPrefix(digest, "sha256:") && digest != t.Digest {
		return Target{}, fmt.Errorf("resolve %s:%s: the registry says digest %s, the manifest has %s", gun, tag, digest, t.Digest)
	}
	return t, nil
}

func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// registryError is an HTTP answer other than 200.
type registryError struct {
	status int
	body   string
}

func (e *registryError) Error() string {
	return fmt.Sprintf("registry answered %d %s: %s", e.status, http.StatusText(e.status), e.body)
}

// get downloads a manifest, answering one auth challenge (Bearer token or Basic).
func (g Registry) get(ctx context.Context, rawURL, repo string) ([]byte, string, error) {
	hc := g.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	auth := ""
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, "", err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
		resp.Body.Close()
		if err != nil {
			return nil, "", err
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			if auth, err = g.authorize(ctx, hc, u.Host, resp.Header.Get("WWW-Authenticate"), repo); err != nil {
				return nil, "", err
			}
			continue
		case resp.StatusCode != http.StatusOK:
			return nil, "", &registryError{status: resp.StatusCode, body: strings.TrimSpace(string(body[:min(len(body), 200)]))}
		case len(body) > maxManifest:
			return nil, "", fmt.Errorf("manifest larger than %d bytes", maxManifest)
		}
		return body, resp.Header.Get("Docker-Content-Digest"), nil
	}
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// authorize answers a registry's challenge with the credentials for host: Basic, or a
// pull token from the token service.
func (g Registry) authorize(ctx context.Context, hc *http.Client, host, challenge, repo string) (string, error) {
	var cred server.Credential
	if g.Credentials != nil {
		c, err := g.Credentials(host)
		if err != nil {
			return "", err
		}
		cred = c
	}
	scheme, params, _ := strings.Cut(challenge, " ")
	if strings.EqualFold(scheme, "basic") {
		if cred.Username == "" {
			return "", errors.New("the registry asks for credentials; log in with docker login")
		}
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(cred.Username, cred.Secret)
		return req.Header.Get("Authorization"), nil
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "", fmt.Errorf("unsupported registry authentication %q", scheme)
	}
	p := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(params, -1) {
		p[strings.ToLower(m[1])] = m[2]
	}
	realm, err := url.Parse(p["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") {
		return "", fmt.Errorf("registry token realm %q is not a URL", p["realm"])
	}
	q := realm.Query()
	if p["service"] != "" {
		q.Set("service", p["service"])
	}
	q.Set("scope", "repository:"+repo+":pull")
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", err
	}
	if cred.Username != "" {
		req.SetBasicAuth(cred.Username, cred.Secret)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("registry token service %s answered %s", realm.Host, resp.Status)
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil {
		return "", fmt.Errorf("registry token: %w", err)
	}
	if tok.Token == "" {
		tok.Token = tok.AccessToken
	}
	if tok.Token == "" {
		return "", errors.New("registry token service returned no token")
	}
	return "Bearer " + tok.Token, nil
}
