// Package server is the notary-server client (Notary v1): metadata downloads,
// publishing and server-managed keys, in notary's terms (URLs, scopes, errors, limits).
// The HTTP side (TLS, token auth, credential rules, bounded reads, retries) is the
// shared client of internal/registry. It moves bytes only; what it fetches is verified
// by the tuf package.
package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Download limits of notary (SPEC 6.1, 6.3).
const (
	// MaxDownloadSize bounds files whose length is not known in advance (root.json).
	MaxDownloadSize int64 = 100 << 20
	// MaxTimestampSize bounds timestamp.json.
	MaxTimestampSize int64 = 1 << 20
)

// DefaultTimeout bounds one call, retries included, when Options.Timeout is zero.
const DefaultTimeout = registry.DefaultTimeout

// maxKeyBody bounds a key answer ({"keytype":…,"keyval":…}, a few hundred bytes).
const maxKeyBody = 64 << 10

// maxPublishAnswer bounds the body of a publish's success answer (empty).
const maxPublishAnswer = 4 << 10

// Options configure a Client. The zero value is an anonymous client trusting the system
// CAs.
type Options struct {
	// CAFile holds PEM CAs trusted besides the system ones (--tlscacert).
	CAFile string
	// DockerConfigDir enables docker's per-server TLS files:
	// <dir>/tls/<host[:port]>/*.crt (CAs) and X.cert+X.key (client certificates).
	DockerConfigDir string
	// ClientCert and ClientKey are a PEM client certificate pair (a client bundle's
	// cert.pem and key.pem).
	ClientCert, ClientKey string
	// SkipTLSVerify disables server certificate checks. Docker does this for the
	// notary server of loopback registries; the caller decides whether to mirror it.
	SkipTLSVerify bool
	// Credentials are asked once, on the first auth challenge, and presented under
	// registry.Credential's rules; nil means anonymous.
	Credentials registry.CredentialFunc
	// Timeout bounds each call including its retries; zero means DefaultTimeout.
	Timeout time.Duration
	// Transport replaces the HTTP transport, and with it every TLS option (tests).
	Transport http.RoundTripper
	// Logger receives debug lines per request and warnings on retries; nil discards.
	// Tokens, passwords and Authorization headers are never logged.
	Logger *slog.Logger
}

// Client talks to one notary server about one GUN. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	gun     string
	ep      *registry.Endpoint
	timeout time.Duration
}

// New returns a client for the GUN's trust data on the server at serverURL
// (https://host[:port], or http:// which notary allows; see Insecure).
func New(serverURL, gun string, opts Options) (*Client, error) {
	u, err := ParseURL(serverURL)
	if err != nil {
		return nil, err
	}
	if err := checkGUN(gun); err != nil {
		return nil, err
	}
	rt := opts.Transport
	if rt == nil {
		tc, err := registry.TLSConfig(u.Host, registry.TLS{CAFile: opts.CAFile, DockerConfigDir: opts.DockerConfigDir,
			ClientCert: opts.ClientCert, ClientKey: opts.ClientKey, SkipVerify: opts.SkipTLSVerify})
		if err != nil {
			return nil, fmt.Errorf("notary server %s: %w", u, err)
		}
		rt = registry.NewTransport(tc)
	}
	c := &Client{
		base:    u,
		gun:     gun,
		ep:      registry.NewEndpoint(u, registry.NewHTTPClient(rt), opts.Credentials, opts.Logger),
		timeout: opts.Timeout,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// ParseURL checks a notary server URL: https://host[:port] or http://host[:port],
// nothing else.
func ParseURL(serverURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid notary server URL %q: want https://host[:port]", serverURL)
	}
	return u, nil
}

// Insecure tells whether the server is spoken to over plain http.
func (c *Client) Insecure() bool { return c.base.Scheme == "http" }

// GetCurrent downloads the current <role>.json, at most maxSize bytes (<= 0 means
// MaxDownloadSize). A 404 matches ErrNotFound; for root it means the server has no trust
// data for the GUN.
func (c *Client) GetCurrent(ctx context.Context, role string, maxSize int64) ([]byte, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	b, err := c.get(ctx, role+".json", limitOr(maxSize))
	if role == "root" && errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%s does not have trust data for %s: %w", c.base, c.gun, err)
	}
	return b, err
}

// GetByChecksum downloads <role>.<sha256hex>.json whose length is expected to be size;
// a longer answer fails with ErrTooLarge. Checking the hash is the caller's job.
func (c *Client) GetByChecksum(ctx context.Context, role, sha256hex string, size int64) ([]byte, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	if !sha256Hex.MatchString(sha256hex) {
		return nil, fmt.Errorf("invalid sha256 checksum %q for %s", sha256hex, role)
	}
	if size <= 0 {
		return nil, fmt.Errorf("invalid expected length %d of %s", size, role)
	}
	return c.get(ctx, role+"."+sha256hex+".json", size)
}

// GetByVersion downloads <version>.<role>.json, at most maxSize bytes (<= 0 means
// MaxDownloadSize).
func (c *Client) GetByVersion(ctx context.Context, role string, version int, maxSize int64) ([]byte, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, fmt.Errorf("invalid version %d of %s", version, role)
	}
	return c.get(ctx, strconv.Itoa(version)+"."+role+".json", limitOr(maxSize))
}

func (c *Client) get(ctx context.Context, file string, limit int64) ([]byte, error) {
	res, err := c.do(ctx, call{method: http.MethodGet, url: c.tufURL(file), actions: actionsPull, limit: limit, idempotent: true})
	return res.Body, err
}

// GetKey returns the public key the server holds for role (timestamp or snapshot). The
// server creates a key when it has none for the GUN yet, a new one on every call until
// a root naming one is published: this is not a read-only probe.
func (c *Client) GetKey(ctx context.Context, role string) (tuf.PublicKey, error) {
	return c.key(ctx, http.MethodGet, role, actionsPushPull)
}

// RotateKey makes the server create a new key for role (timestamp or snapshot) and
// returns it; it takes effect once a root listing it is published.
func (c *Client) RotateKey(ctx context.Context, role string) (tuf.PublicKey, error) {
	return c.key(ctx, http.MethodPost, role, actionsAll)
}

func (c *Client) key(ctx context.Context, method, role, actions string) (tuf.PublicKey, error) {
	if role != "timestamp" && role != "snapshot" {
		return tuf.PublicKey{}, fmt.Errorf("the server manages only timestamp and snapshot keys, not %q", role)
	}
	// A repeated GET at worst creates one more unused key; a repeated POST is not
	// retried after it may have reached the server.
	res, err := c.do(ctx, call{method: method, url: c.tufURL(role + ".key"), actions: actions, limit: maxKeyBody, idempotent: method == http.MethodGet})
	if err != nil {
		return tuf.PublicKey{}, err
	}
	var k tuf.PublicKey
	if err := json.Unmarshal(res.Body, &k); err != nil || k.Type == "" || len(k.Public) == 0 {
		return tuf.PublicKey{}, fmt.Errorf("%s %s: invalid key in the answer", method, c.tufURL(role+".key"))
	}
	return k, nil
}

// Publish uploads files (role name → exact file bytes) in one multipart POST, as notary
// does: form field "files", part filename = full role name. The server stores all or
// nothing.
//
// Publish is not retried once the request may have reached the server: after a 5xx it
// cannot be told whether the update was stored, and a blind retry of a stored update
// would fail with a misleading VERSION error. The caller re-reads the repository
// (timestamp/snapshot) and publishes again if needed.
func (c *Client) Publish(ctx context.Context, files map[string][]byte) error {
	if len(files) == 0 {
		return errors.New("publish: no files")
	}
	roles := slices.Sorted(maps.Keys(files))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, role := range roles {
		if err := checkRole(role); err != nil {
			return err
		}
		// CreateFormFile keeps the slashes of targets/releases and sets
		// application/octet-stream, byte for byte what notary sends.
		w, err := mw.CreateFormFile("files", role)
		if err != nil {
			return err
		}
		w.Write(files[role])
	}
	if err := mw.Close(); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodPost, url: c.tufURL(""), body: buf.Bytes(),
		contentType: mw.FormDataContentType(), actions: actionsPushPull, limit: maxPublishAnswer, roles: roles})
	var se *Error
	if errors.As(err, &se) && se.Status == http.StatusBadRequest {
		return fmt.Errorf("notary server rejected the update of %s (%s): %w", c.gun, strings.Join(roles, ", "), err)
	}
	if err != nil {
		return fmt.Errorf("publish %s of %s: %w", strings.Join(roles, ", "), c.gun, err)
	}
	return nil
}

// invalidRoleHint explains INVALID_ROLE "releases" for an upload of targets/releases:
// notary-server v0.7.0 built with Go >= 1.17 reduces part filenames to their last
// element (notary#1630, fixed by #1635 after v0.7.0) and so rejects every delegation.
func invalidRoleHint(e *Error, sent []string) string {
	var got string
	if e.Code != "INVALID_ROLE" || json.Unmarshal(e.Detail, &got) != nil {
		return ""
	}
	for _, r := range sent {
		if strings.Contains(r, "/") && path.Base(r) == got {
			return fmt.Sprintf("the server cut the role name %q to %q: it is notary-server v0.7.0 built with Go >= 1.17 without notary#1635, "+
				"which rejects every delegation upload; the server needs that fix", r, got)
		}
	}
	return ""
}

// Delete removes all trust data of the GUN from the server.
func (c *Client) Delete(ctx context.Context) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, url: c.tufURL(""), actions: actionsAll, limit: maxPublishAnswer, idempotent: true})
	if err != nil {
		return fmt.Errorf("delete the trust data of %s: %w", c.gun, err)
	}
	return nil
}

func (c *Client) tufURL(file string) string {
	return c.base.String() + "/v2/" + c.gun + "/_trust/tuf/" + file
}

// call describes one logical request.
type call struct {
	method, url string
	body        []byte
	contentType string
	// actions is the token scope's actions on the GUN.
	actions string
	// limit is the largest success body accepted.
	limit int64
	// idempotent calls are retried after 5xx and transport errors; others only when
	// the connection could not even be opened.
	idempotent bool
	// roles are those uploaded, for the hint on INVALID_ROLE.
	roles []string
}

// do runs a call under the client's timeout on the shared endpoint (ping once, auth,
// bounded read, retries) and turns its failures into notary's terms.
func (c *Client) do(ctx context.Context, cl call) (registry.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	res, attempts, err := c.ep.Do(ctx, registry.Request{Method: cl.method, URL: cl.url, Body: cl.body, ContentType: cl.contentType,
		Scope: "repository:" + c.gun + ":" + cl.actions, Limit: cl.limit, Idempotent: cl.idempotent})
	if err != nil {
		return registry.Response{}, c.wrap(cl, c.notaryError(cl, err), attempts)
	}
	return res, nil
}

// notaryError decodes a server's error answer into an *Error, kept inside the token
// service's error when that one refused.
func (c *Client) notaryError(cl call, err error) error {
	var te *registry.TokenError
	if errors.As(err, &te) {
		return fmt.Errorf("token service %s: %w", te.Host, ParseError(te.Err.Status, te.Err.Body))
	}
	var st *registry.StatusError
	if errors.As(err, &st) {
		se := ParseError(st.Status, st.Body)
		se.Hint = invalidRoleHint(se, cl.roles)
		return se
	}
	var ua *registry.ErrUnsupportedAuth
	if errors.As(err, &ua) {
		return fmt.Errorf("notary server %w", ua)
	}
	return err
}

func certError(err error) bool {
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}

// wrap puts the request into the error and classifies transport failures.
func (c *Client) wrap(cl call, err error, attempts int) error {
	var se *Error
	var ne net.Error
	// A transport error of this very request repeats the URL: name it once.
	ue, transport := err.(*url.Error)
	if transport {
		err = ue.Err
	}
	after := ""
	if attempts > 1 {
		after = fmt.Sprintf(" (%d attempts)", attempts)
	}
	switch {
	case errors.As(err, &se) && se.Is(ErrUnauthorized):
		return fmt.Errorf("%s %s: %w (%s)", cl.method, cl.url, err, c.ep.CredentialText())
	case certError(err):
		return fmt.Errorf("%s %s: %w (trust the server's CA with --tlscacert or %s)", cl.method, cl.url, err,
			filepath.Join("$DOCKER_CONFIG", "tls", c.base.Host, "ca.crt"))
	case errors.As(err, &se), errors.Is(err, ErrTooLarge), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %s: %w%s", cl.method, cl.url, err, after)
	case transport, errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s %s: %w%s", ErrServerUnavailable, cl.method, cl.url, err, after)
	}
	return fmt.Errorf("%s %s: %w", cl.method, cl.url, err)
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// roleName: base roles and delegations (targets/<a>[/<b>…] of [-a-z0-9_], the
	// names notary accepts; SPEC 0).
	roleName = regexp.MustCompile(`^(root|snapshot|timestamp|targets(/[-a-z0-9_]+)*)$`)
)

func checkRole(role string) error {
	if len(role) >= 256 || !roleName.MatchString(role) {
		return fmt.Errorf("invalid role name %q", role)
	}
	return nil
}

// checkGUN rejects names that would change the meaning of the URL they are put in
// verbatim (notary's route takes any GUN without '*').
func checkGUN(gun string) error {
	bad := gun == "" || strings.ContainsAny(gun, `*?#%\"`) || strings.ContainsFunc(gun, func(r rune) bool {
		return r <= ' ' || r >= 0x7f
	})
	for seg := range strings.SplitSeq(gun, "/") {
		bad = bad || seg == "" || seg == "." || seg == ".."
	}
	if bad {
		return fmt.Errorf("invalid GUN %q", gun)
	}
	return nil
}

func limitOr(maxSize int64) int64 {
	if maxSize <= 0 {
		return MaxDownloadSize
	}
	return maxSize
}
