// Package registry is the one HTTP client of trustctl, for image registries (the OCI
// distribution API) and for notary servers, which share the registry auth protocol
// (ping /v2/, RFC 7235 challenges, token services). It owns the rules every request
// follows: credentials only where they belong (Credential), Authorization per request
// and never across origins (NewHTTPClient), bounded and uncompressed reads (ReadBody),
// retries only of what can succeed next time (Retryable), a timeout per call.
//
// Client covers what trustctl needs from a registry today, a tag's manifest digest. The
// writes a signature push needs (blob upload, manifest put, referrers) are further calls
// of the same shape: a Request with a push,pull scope on the same Endpoint.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds one call, retries included, when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// MaxManifest bounds a manifest or index download (the OCI distribution spec lets
// registries refuse more than 4 MiB).
const MaxManifest = 4 << 20

// manifestTypes are the manifests docker signs: the index of a multi-platform image
// or the manifest of a single one.
var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
}

// Options configure a Client.
type Options struct {
	// TLS are the TLS files of the registry host ($DOCKER_CONFIG/tls/<host>/).
	TLS TLS
	// Credentials are presented to the registry or its token service under
	// Credential's rules; nil means anonymous.
	Credentials CredentialFunc
	// Timeout bounds each call including its retries; zero means DefaultTimeout.
	Timeout time.Duration
	// Transport replaces the HTTP transport, and with it every TLS option (tests).
	Transport http.RoundTripper
	// Logger receives debug lines per request; nil discards. Secrets are never logged.
	Logger *slog.Logger
}

// Client talks to one registry. It is safe for concurrent use.
type Client struct {
	host    string
	opts    Options
	timeout time.Duration

	mu sync.Mutex // guards ep
	ep *Endpoint
}

// New returns a client for the registry host (host[:port]; docker.io is Docker Hub's
// registry-1.docker.io).
func New(host string, opts Options) (*Client, error) {
	if isDockerHub(host) {
		host = "registry-1.docker.io"
	}
	if u, err := url.Parse("https://" + host); err != nil || u.Host != host || host == "" {
		return nil, fmt.Errorf("invalid registry host %q", host)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	t := opts.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return &Client{host: host, opts: opts, timeout: t}, nil
}

// Descriptor names a manifest or blob by digest (OCI descriptor).
type Descriptor struct {
	MediaType string
	Digest    string
	Size      int64
}

// Resolve returns the descriptor of the manifest repo:ref (repo without the host), as
// `docker trust sign` signs it: the digest is computed over the bytes received and must
// agree with the registry's Docker-Content-Digest.
func (c *Client) Resolve(ctx context.Context, repo, ref string) (Descriptor, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ep, err := c.endpoint(ctx)
	if err != nil {
		return Descriptor{}, err
	}
	u := ep.Base().String() + "/v2/" + repo + "/manifests/" + url.PathEscape(ref)
	res, attempts, err := ep.Do(ctx, Request{Method: http.MethodGet, URL: u, Accept: strings.Join(manifestTypes, ", "),
		Scope: "repository:" + repo + ":pull", Limit: MaxManifest, Idempotent: true})
	if err != nil {
		return Descriptor{}, c.wrap(ep, u, err, attempts)
	}
	d := Descriptor{MediaType: res.Header.Get("Content-Type"), Digest: digestOf(res.Body), Size: int64(len(res.Body))}
	if got := res.Header.Get("Docker-Content-Digest"); strings.HasPrefix(got, "sha256:") && got != d.Digest {
		return Descriptor{}, fmt.Errorf("GET %s: the registry says digest %s, the manifest has %s", u, Clean(got), d.Digest)
	}
	return d, nil
}

func (c *Client) wrap(ep *Endpoint, u string, err error, attempts int) error {
	return c.wrapMethod(ep, http.MethodGet, u, err, attempts)
}

func (c *Client) wrapMethod(ep *Endpoint, method, u string, err error, attempts int) error {
	after := ""
	if attempts > 1 {
		after = fmt.Sprintf(" (%d attempts)", attempts)
	}
	var se *StatusError
	if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
		return fmt.Errorf("%s %s: %w (%s)", method, u, err, ep.CredentialText())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w%s", method, u, err, after)
}

// endpoint pings the registry once: over https, or plain http for a loopback registry
// that does not answer https, as docker treats those as insecure registries.
func (c *Client) endpoint(ctx context.Context) (*Endpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ep != nil {
		return c.ep, nil
	}
	rt := c.opts.Transport
	if rt == nil {
		tc, err := TLSConfig(c.host, c.opts.TLS)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", c.host, err)
		}
		rt = NewTransport(tc)
	}
	hc := NewHTTPClient(rt)
	ep := NewEndpoint(&url.URL{Scheme: "https", Host: c.host}, hc, c.opts.Credentials, c.opts.Logger)
	err := ep.Ping(ctx)
	var se *StatusError
	var ua *ErrUnsupportedAuth
	if err != nil && !errors.As(err, &se) && !errors.As(err, &ua) && isLoopback(c.host) {
		ep = NewEndpoint(&url.URL{Scheme: "http", Host: c.host}, hc, c.opts.Credentials, c.opts.Logger)
		err = ep.Ping(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", c.host, err)
	}
	c.ep = ep
	return ep, nil
}

func isLoopback(host string) bool {
	h, _ := splitHostPort(host, "")
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}
