// Package server is the HTTP client of notary-server (Notary v1): metadata downloads,
// publishing, server-managed keys, docker's TLS rules and registry token auth. It moves
// bytes only; what it fetches is verified by the tuf package.
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
	"sync"
	"syscall"
	"time"

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
const DefaultTimeout = 60 * time.Second

// maxKeyBody bounds a key answer ({"keytype":…,"keyval":…}, a few hundred bytes).
const maxKeyBody = 64 << 10

// defaultBackoff are the waits between attempts of an idempotent request.
var defaultBackoff = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

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
	// Credentials are asked once, on the first auth challenge; nil means anonymous.
	Credentials CredentialFunc
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
	hc      *http.Client
	creds   CredentialFunc
	log     *slog.Logger
	timeout time.Duration
	backoff []time.Duration

	credOnce sync.Once
	cred     Credential
	credErr  error

	mu        sync.Mutex // guards pinged, challenge, tokens
	pinged    bool
	challenge *challenge
	tokens    map[string]token
}

// New returns a client for the GUN's trust data on the server at serverURL
// (https://host[:port], or http:// which notary allows; see Insecure).
func New(serverURL, gun string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid notary server URL %q: want https://host[:port]", serverURL)
	}
	if err := checkGUN(gun); err != nil {
		return nil, err
	}
	rt := opts.Transport
	if rt == nil {
		tc, err := tlsConfig(u.Host, opts)
		if err != nil {
			return nil, fmt.Errorf("notary server %s: %w", u, err)
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tc
		rt = t
	}
	c := &Client{
		base:    u,
		gun:     gun,
		hc:      &http.Client{Transport: rt},
		creds:   opts.Credentials,
		log:     opts.Logger,
		timeout: opts.Timeout,
		backoff: defaultBackoff,
		tokens:  map[string]token{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
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
	return res.body, err
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
	if err := json.Unmarshal(res.body, &k); err != nil || k.Type == "" || len(k.Public) == 0 {
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
		contentType: mw.FormDataContentType(), actions: actionsPushPull, limit: maxErrorBody, roles: roles})
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
	_, err := c.do(ctx, call{method: http.MethodDelete, url: c.tufURL(""), actions: actionsAll, limit: maxErrorBody, idempotent: true})
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
	// actions is the token scope; the ping has none and is never authorised.
	actions string
	// limit is the largest success body accepted.
	limit int64
	// idempotent calls are retried after 5xx and transport errors; others only when
	// the connection could not even be opened.
	idempotent bool
	ping       bool
	// roles are those uploaded, for the hint on INVALID_ROLE.
	roles []string
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// do runs a call under the client's timeout: ping first (once per client), then
// attempts with backoff while the failure is retryable.
func (c *Client) do(ctx context.Context, cl call) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if !cl.ping {
		if err := c.ping(ctx); err != nil {
			return result{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		res, err := c.send(ctx, cl)
		if err == nil && res.status/100 != 2 && !(cl.ping && res.status < 500) {
			se := ParseError(res.status, res.body)
			se.Hint = invalidRoleHint(se, cl.roles)
			err = se
		}
		if err == nil {
			return res, nil
		}
		if attempt == len(c.backoff) || !retryable(cl, err) {
			return result{}, c.wrap(cl, err, attempt+1)
		}
		c.log.WarnContext(ctx, "notary server request failed; retrying", "method", cl.method, "url", cl.url,
			"attempt", attempt+1, "error", err)
		select {
		case <-time.After(c.backoff[attempt]):
		case <-ctx.Done():
			return result{}, c.wrap(cl, err, attempt+1)
		}
	}
}

// ping does GET /v2/ once per client to learn the auth challenge, as docker and
// notary do: 200 means no auth, 401 carries the challenge.
func (c *Client) ping(ctx context.Context) error {
	c.mu.Lock()
	done := c.pinged
	c.mu.Unlock()
	if done {
		return nil
	}
	res, err := c.do(ctx, call{method: http.MethodGet, url: c.base.String() + "/v2/", limit: maxErrorBody, idempotent: true, ping: true})
	if err != nil {
		return err
	}
	var ch *challenge
	if res.status == http.StatusUnauthorized {
		if ch = pickChallenge(parseChallenges(res.header.Values("WWW-Authenticate"))); ch == nil {
			return fmt.Errorf("notary server %s asks for authentication of an unsupported kind: %q",
				c.base, clean(res.header.Get("WWW-Authenticate")))
		}
	}
	c.mu.Lock()
	if !c.pinged {
		c.pinged, c.challenge = true, ch
	}
	c.mu.Unlock()
	return nil
}

// send makes one attempt: authorise, send, read a bounded body. A 401 carrying a
// challenge is answered once more with fresh authorisation (expired token, or a server
// that only challenges on the resource).
func (c *Client) send(ctx context.Context, cl call) (result, error) {
	for retried := false; ; retried = true {
		var body io.Reader
		if cl.body != nil {
			body = bytes.NewReader(cl.body)
		}
		req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
		if err != nil {
			return result{}, err
		}
		if cl.contentType != "" {
			req.Header.Set("Content-Type", cl.contentType)
		}
		if !cl.ping {
			if err := c.authorize(ctx, req, cl.actions); err != nil {
				return result{}, err
			}
		}
		start := time.Now()
		resp, err := c.hc.Do(req)
		if err != nil {
			return result{}, err
		}
		res, err := readResponse(resp, cl.limit)
		c.log.DebugContext(ctx, "notary server request", "method", cl.method, "url", cl.url,
			"status", res.status, "bytes", len(res.body), "duration", time.Since(start))
		if err != nil {
			return res, err
		}
		if res.status == http.StatusUnauthorized && !cl.ping && !retried && c.learn(res.header) {
			continue
		}
		return res, nil
	}
}

func readResponse(resp *http.Response, limit int64) (result, error) {
	defer resp.Body.Close()
	res := result{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode/100 != 2 {
		// The status decides; a truncated error body only loses detail.
		res.body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return res, nil
	}
	if resp.ContentLength > limit {
		return res, fmt.Errorf("%w: Content-Length %d, at most %d bytes expected", ErrTooLarge, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return res, err
	}
	if int64(len(b)) > limit {
		return res, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	res.body = b
	return res, nil
}

// authorize adds Basic credentials or a bearer token for the call's scope.
func (c *Client) authorize(ctx context.Context, req *http.Request, actions string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challenge == nil {
		return nil
	}
	if c.challenge.scheme == "basic" {
		if cred := c.credential(); cred.Username != "" || cred.Secret != "" {
			req.SetBasicAuth(cred.Username, cred.Secret)
		}
		return nil
	}
	t, ok := c.tokens[actions]
	if !ok || time.Now().After(t.expires) {
		var err error
		if t, err = c.fetchToken(ctx, c.challenge, actions); err != nil {
			return err
		}
		c.tokens[actions] = t
	}
	req.Header.Set("Authorization", "Bearer "+t.value)
	return nil
}

// learn takes the challenge of a 401 and drops cached tokens; false if there is none
// usable, so the 401 stands.
func (c *Client) learn(h http.Header) bool {
	ch := pickChallenge(parseChallenges(h.Values("WWW-Authenticate")))
	if ch == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.challenge = ch
	clear(c.tokens)
	return true
}

// retryable: 5xx and transient transport failures of idempotent calls; for the others
// only failures to connect, when nothing was sent.
func retryable(cl call, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	if !cl.idempotent || certError(err) {
		return false
	}
	var se *Error
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	var ne net.Error
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ne) && ne.Timeout()
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
		return fmt.Errorf("%s %s: %w (%s)", cl.method, cl.url, err, c.credentialText())
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
