package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// maxTokenBody bounds a token service answer.
const maxTokenBody = 1 << 20

// Endpoint is one origin speaking the registry auth protocol: a registry or a notary
// server. It pings /v2/ once, answers Basic and Bearer challenges with one credential
// under its rules (Credential.AllowedAt, AllowedRealm), caches tokens per scope, bounds
// every read and retries what Retryable allows. It is safe for concurrent use.
type Endpoint struct {
	base    *url.URL
	hc      *http.Client
	creds   CredentialFunc
	log     *slog.Logger
	backoff []time.Duration

	credOnce sync.Once
	cred     Credential
	credErr  error

	mu        sync.Mutex // guards pinged, challenge, tokens, withheld
	pinged    bool
	challenge *Challenge
	tokens    map[string]token
	// withheld says why the credential was not presented, for 401 messages.
	withheld string
}

type token struct {
	value   string
	expires time.Time
}

// NewEndpoint talks to base (scheme://host[:port]) with hc, which NewHTTPClient made.
// creds may be nil (anonymous), log too (discarded).
func NewEndpoint(base *url.URL, hc *http.Client, creds CredentialFunc, log *slog.Logger) *Endpoint {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Endpoint{base: base, hc: hc, creds: creds, log: log, backoff: defaultBackoff, tokens: map[string]token{}}
}

// SetBackoff replaces the waits between attempts (tests).
func (e *Endpoint) SetBackoff(b []time.Duration) { e.backoff = b }

// Base is the endpoint's URL.
func (e *Endpoint) Base() *url.URL { return e.base }

// Request is one logical call.
type Request struct {
	Method string
	// URL is absolute and on the endpoint's origin.
	URL         string
	Body        []byte
	ContentType string
	Accept      string
	// Scope is the token scope (repository:<name>:<actions>); "" sends no credential.
	Scope string
	// Limit is the largest success body accepted.
	Limit int64
	// Idempotent requests are retried after 5xx and transport errors; others only when
	// the connection could not even be opened.
	Idempotent bool
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do pings once, then sends r with retries. A non-2xx answer is a *StatusError. The
// attempts made are returned for messages.
func (e *Endpoint) Do(ctx context.Context, r Request) (Response, int, error) {
	if err := e.Ping(ctx); err != nil {
		return Response{}, 1, err
	}
	var res Response
	n, err := retry(ctx, e.backoff, r.Idempotent, func() error {
		var err error
		res, err = e.send(ctx, r)
		return err
	}, func(n int, err error) {
		e.log.WarnContext(ctx, "request failed; retrying", "method", r.Method, "url", r.URL, "attempt", n, "error", err)
	})
	return res, n, err
}

// ErrUnsupportedAuth: the server asks for an authentication scheme other than Basic
// and Bearer.
type ErrUnsupportedAuth struct{ Host, Header string }

func (e *ErrUnsupportedAuth) Error() string {
	return fmt.Sprintf("%s asks for authentication of an unsupported kind: %q", e.Host, Clean(e.Header))
}

// Ping does GET /v2/ once per endpoint to learn the auth challenge, as docker and
// notary do: 200 means no auth, 401 carries the challenge; other answers below 500 are
// taken as no auth.
func (e *Endpoint) Ping(ctx context.Context) error {
	e.mu.Lock()
	done := e.pinged
	e.mu.Unlock()
	if done {
		return nil
	}
	var hdr http.Header
	var status int
	_, err := retry(ctx, e.backoff, true, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base.String()+"/v2/", nil)
		if err != nil {
			return err
		}
		resp, err := e.hc.Do(req)
		if err != nil {
			return err
		}
		body := readErrorBody(resp)
		if resp.StatusCode >= 500 {
			return &StatusError{Status: resp.StatusCode, Body: body}
		}
		hdr, status = resp.Header, resp.StatusCode
		return nil
	}, nil)
	if err != nil {
		return err
	}
	var ch *Challenge
	if status == http.StatusUnauthorized {
		if ch = PickChallenge(ParseChallenges(hdr.Values("WWW-Authenticate"))); ch == nil {
			return &ErrUnsupportedAuth{Host: e.base.Host, Header: hdr.Get("WWW-Authenticate")}
		}
	}
	e.mu.Lock()
	if !e.pinged {
		e.pinged, e.challenge = true, ch
	}
	e.mu.Unlock()
	return nil
}

// send makes one attempt: authorise, send, read a bounded body. A 401 carrying a
// challenge is answered once more with fresh authorisation (expired token, or a server
// that only challenges on the resource).
func (e *Endpoint) send(ctx context.Context, r Request) (Response, error) {
	for retried := false; ; retried = true {
		var body io.Reader
		if r.Body != nil {
			body = bytes.NewReader(r.Body)
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
		if err != nil {
			return Response{}, err
		}
		if r.ContentType != "" {
			req.Header.Set("Content-Type", r.ContentType)
		}
		if r.Accept != "" {
			req.Header.Set("Accept", r.Accept)
		}
		if r.Scope != "" {
			auth, err := e.authorization(ctx, r.Scope)
			if err != nil {
				return Response{}, err
			}
			req = WithAuthorization(req, auth)
		}
		start := time.Now()
		resp, err := e.hc.Do(req)
		if err != nil {
			return Response{}, err
		}
		res := Response{Status: resp.StatusCode, Header: resp.Header}
		if resp.StatusCode/100 != 2 {
			serr := &StatusError{Status: resp.StatusCode, Body: readErrorBody(resp)}
			e.log.DebugContext(ctx, "request", "method", r.Method, "url", r.URL, "status", resp.StatusCode, "duration", time.Since(start))
			if resp.StatusCode == http.StatusUnauthorized && r.Scope != "" && !retried && e.learn(resp.Header) {
				continue
			}
			return res, serr
		}
		if r.Method == http.MethodHead {
			// A HEAD answer's Content-Length describes the resource; there is no body.
			resp.Body.Close()
		} else {
			res.Body, err = ReadBody(resp, r.Limit)
		}
		e.log.DebugContext(ctx, "request", "method", r.Method, "url", r.URL, "status", resp.StatusCode,
			"bytes", len(res.Body), "duration", time.Since(start))
		return res, err
	}
}

// authorization is the Authorization value for scope: Basic credentials or a bearer
// token, "" when anonymous.
func (e *Endpoint) authorization(ctx context.Context, scope string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.challenge == nil {
		return "", nil
	}
	cred := e.credential()
	if e.challenge.Scheme == "basic" {
		if cred.empty() {
			return "", nil
		}
		if !cred.AllowedAt(e.base) {
			e.withheld = fmt.Sprintf("the credential of %s belongs to %s, not %s", cred.Source, cred.Home, e.base.Host)
			return "", nil
		}
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(cred.Username, cred.Secret)
		return req.Header.Get("Authorization"), nil
	}
	t, ok := e.tokens[scope]
	if !ok || time.Now().After(t.expires) {
		var err error
		if t, err = e.fetchToken(ctx, e.challenge, scope, cred); err != nil {
			return "", err
		}
		e.tokens[scope] = t
	}
	return "Bearer " + t.value, nil
}

// learn takes the challenge of a 401 and drops cached tokens; false if there is none
// usable, so the 401 stands.
func (e *Endpoint) learn(h http.Header) bool {
	ch := PickChallenge(ParseChallenges(h.Values("WWW-Authenticate")))
	if ch == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.challenge = ch
	clear(e.tokens)
	return true
}

// fetchToken asks the token service of a bearer challenge for scope, presenting the
// credential with Basic auth when its rules allow that realm (docker's and notary's
// token handlers present it to any realm), anonymously otherwise.
func (e *Endpoint) fetchToken(ctx context.Context, ch *Challenge, scope string, cred Credential) (token, error) {
	realm, err := url.Parse(ch.Params["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" || realm.User != nil {
		return token{}, fmt.Errorf("%s sent an invalid token realm %q", e.base.Host, Clean(ch.Params["realm"]))
	}
	present := !cred.empty()
	if present {
		if why := cred.AllowedRealm(realm); why != nil {
			present = false
			if e.withheld == "" {
				e.log.WarnContext(ctx, "not sending the credential to the token service", "source", cred.Source, "reason", why.Error())
			}
			e.withheld = fmt.Sprintf("the credential of %s was not sent: %v", cred.Source, why)
		}
	}
	q := realm.Query()
	if s := ch.Params["service"]; s != "" {
		q.Set("service", s)
	}
	q.Set("scope", scope)
	if present && cred.Username != "" {
		q.Set("account", cred.Username)
	}
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return token{}, err
	}
	if present {
		basic, _ := http.NewRequest(http.MethodGet, "/", nil)
		basic.SetBasicAuth(cred.Username, cred.Secret)
		req = WithAuthorization(req, basic.Header.Get("Authorization"))
	}
	start := time.Now()
	resp, err := e.hc.Do(req)
	if err != nil {
		return token{}, err
	}
	e.log.DebugContext(ctx, "token request", "realm", realm.Redacted(), "scope", scope,
		"status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode != http.StatusOK {
		return token{}, &TokenError{Host: realm.Host, Err: &StatusError{Status: resp.StatusCode, Body: readErrorBody(resp)}}
	}
	body, err := ReadBody(resp, maxTokenBody)
	if err != nil {
		return token{}, fmt.Errorf("token service %s: %w", realm.Host, err)
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return token{}, fmt.Errorf("token service %s: invalid answer: %w", realm.Host, err)
	}
	t := token{value: tr.Token}
	if t.value == "" {
		t.value = tr.AccessToken
	}
	if t.value == "" {
		return token{}, fmt.Errorf("token service %s returned no token", realm.Host)
	}
	// Docker's default lifetime is 60 s; renew a little early.
	life := 60 * time.Second
	if tr.ExpiresIn > 0 {
		life = time.Duration(tr.ExpiresIn) * time.Second
	}
	t.expires = time.Now().Add(life - life/10)
	return t, nil
}

// TokenError is a refusal of a token service.
type TokenError struct {
	// Host is the token service's host[:port].
	Host string
	Err  *StatusError
}

func (e *TokenError) Error() string { return "token service " + e.Host + ": " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// credential looks the credential up once; a failing lookup (a broken credential
// helper) continues anonymously, as docker does, and is named in 401s.
func (e *Endpoint) credential() Credential {
	e.credOnce.Do(func() {
		if e.creds == nil {
			return
		}
		e.cred, e.credErr = e.creds()
		if e.credErr != nil {
			e.log.Warn("cannot read credentials; continuing without", "host", e.base.Host, "error", e.credErr)
		}
	})
	return e.cred
}

// CredentialText names the credential tried, never the secret, and why it was not
// presented if it was not.
func (e *Endpoint) CredentialText() string {
	cred := e.credential()
	e.mu.Lock()
	withheld := e.withheld
	e.mu.Unlock()
	switch {
	case e.credErr != nil:
		return "no credentials could be read: " + Clean(e.credErr.Error())
	case withheld != "":
		return withheld
	case cred.Username != "":
		return fmt.Sprintf("tried user %q from %s", cred.Username, cred.Source)
	case cred.Secret != "":
		return "tried a token from " + cred.Source
	case cred.Source != "":
		return "no credentials in " + cred.Source
	}
	return "no credentials were given"
}
