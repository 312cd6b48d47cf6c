package registry

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrTooLarge: a response is larger than the caller's limit or expected length; notary
// calls this a malicious server.
var ErrTooLarge = errors.New("response larger than expected")

// maxRedirects bounds a redirect chain (Go's default is 10).
const maxRedirects = 5

// NewTransport is Go's default transport with tc, that never asks for compressed
// responses: a compressed body would let a small download inflate past its cap before
// it is counted (ReadBody counts what it inflates, should a server compress anyway).
func NewTransport(tc *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.DisableCompression = true
	return t
}

// NewHTTPClient wraps rt so that Authorization is attached per request, only to the
// origin (scheme, host, port) it was made for (see WithAuthorization): a redirect to
// another origin never carries it, nor does Go's redirect code copy it, as the request
// never holds the header above the transport. Redirects from https to http are refused.
func NewHTTPClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: authTransport{rt},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("refusing the redirect from %s to plain http %s", via[0].URL.Redacted(), req.URL.Redacted())
			}
			return nil
		},
	}
}

type authKey struct{}

type authValue struct {
	origin string
	header string
}

// WithAuthorization returns req whose Authorization header, value, is sent to req's
// origin only, whatever the redirects.
func WithAuthorization(req *http.Request, value string) *http.Request {
	if value == "" {
		return req
	}
	return req.WithContext(context.WithValue(req.Context(), authKey{}, authValue{origin: origin(req.URL), header: value}))
}

// origin is scheme://host:port of u, lower case, with the scheme's default port.
func origin(u *url.URL) string {
	h, p := splitHostPort(u.Host, defaultPort(u.Scheme))
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(net.JoinHostPort(h, p))
}

type authTransport struct{ next http.RoundTripper }

func (t authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	// Whatever set it, Authorization leaves only through the check below.
	r.Header.Del("Authorization")
	r.Header.Set("Accept-Encoding", "identity")
	if v, ok := req.Context().Value(authKey{}).(authValue); ok && v.origin == origin(req.URL) {
		r.Header.Set("Authorization", v.header)
	}
	return t.next.RoundTrip(r)
}

// ReadBody reads a success body of at most limit bytes and closes it. A gzip body,
// which is never asked for, is inflated with the inflated bytes counted against
// limit; other encodings are refused.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader
	var raw *countingReader
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if resp.ContentLength > limit {
			return nil, fmt.Errorf("%w: Content-Length %d, at most %d bytes expected", ErrTooLarge, resp.ContentLength, limit)
		}
		raw = &countingReader{r: io.LimitReader(resp.Body, limit+1), max: limit}
		r = raw
	case "gzip", "x-gzip":
		// The compressed stream is bounded too, so that one producing no output cannot
		// run forever; deflate adds at most a few bytes per 64 KiB block, and a header.
		rawLimit := limit + limit/16 + 4096
		raw = &countingReader{r: io.LimitReader(resp.Body, rawLimit+1), max: rawLimit}
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		r = io.LimitReader(zr, limit+1)
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", Clean(enc))
	}
	b, err := io.ReadAll(r)
	if int64(len(b)) > limit || raw.n > raw.max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// maxErrorBody bounds what is read of an error response; notary reads 1 KiB.
const maxErrorBody = 4 << 10

// readErrorBody reads the start of an error body: the status decides, a truncated
// body only loses detail.
func readErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := ReadBody(&http.Response{Header: resp.Header, Body: io.NopCloser(io.LimitReader(resp.Body, maxErrorBody)), ContentLength: -1}, maxErrorBody)
	return b
}

// StatusError is a non-2xx answer; Body is its start.
type StatusError struct {
	Status int
	Body   []byte
}

func (e *StatusError) Error() string {
	line, _, _ := strings.Cut(string(e.Body), "\n")
	if line = Clean(line); line != "" {
		return fmt.Sprintf("HTTP %d %s: %s", e.Status, http.StatusText(e.Status), line)
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// Retryable tells whether an attempt that failed with err is worth repeating: 5xx
// answers, connection resets and timeouts, when the request is idempotent; for any
// request a connect that timed out, when nothing was sent. Never DNS failures, refused
// connections, certificate errors, 4xx or a cancelled or expired context: another
// attempt would fail the same way, only later.
func Retryable(err error, idempotent bool) bool {
	var dns *net.DNSError
	var cv *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &dns), errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &cv):
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return op.Timeout()
	}
	if !idempotent {
		return false
	}
	var st interface{ HTTPStatus() int }
	if errors.As(err, &st) {
		return st.HTTPStatus() >= 500
	}
	var ne net.Error
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ne) && ne.Timeout()
}

// HTTPStatus is the status, for Retryable.
func (e *StatusError) HTTPStatus() int { return e.Status }

// defaultBackoff are the waits between attempts of a retryable request.
var defaultBackoff = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}

// retry runs attempt until it succeeds, fails for good (Retryable) or backoff is
// used up, and returns the number of attempts made. onRetry sees each failure that
// is retried.
func retry(ctx context.Context, backoff []time.Duration, idempotent bool, attempt func() error, onRetry func(n int, err error)) (int, error) {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n > len(backoff) || !Retryable(err, idempotent) {
			return n, err
		}
		if onRetry != nil {
			onRetry(n, err)
		}
		select {
		case <-time.After(backoff[n-1]):
		case <-ctx.Done():
			return n, err
		}
	}
}

// countingReader counts the bytes read, to tell a body longer than max.
type countingReader struct {
	r      io.Reader
	n, max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
