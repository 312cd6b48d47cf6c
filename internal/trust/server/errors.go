package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/registry"
)

// Sentinels for errors.Is. An *Error matches the one its status belongs to.
var (
	// ErrNotFound: the server has no such metadata (404). A missing root.json means the
	// server has no trust data for the GUN.
	ErrNotFound = exitcode.New(exitcode.ErrTrustData, "not found on the notary server")
	// ErrUnauthorized: the server or its token service refused the credentials (401, 403).
	ErrUnauthorized = errors.New("not authorized by the notary server")
	// ErrServerUnavailable: 5xx after retries, or the server could not be reached. Readers
	// may fall back to cached metadata, as notary does.
	ErrServerUnavailable = exitcode.New(exitcode.ErrTrustData, "notary server unavailable")
	// ErrTooLarge: the response is larger than the caller's limit or expected length;
	// notary calls this a malicious server.
	ErrTooLarge = registry.ErrTooLarge
)

// Error is a non-2xx answer of the server, decoded from notary's JSON error body
// {"errors":[{"code","message","detail"}]} (only the first entry, like notary). Bodies
// that are not notary JSON keep Code empty and a cleaned first line as Message.
type Error struct {
	Status  int
	Code    string
	Message string
	Detail  json.RawMessage
	// Hint is trustctl's advice for a known server defect, empty otherwise.
	Hint string
}

// ParseError decodes an error response body; it never fails.
func ParseError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var doc struct {
		Errors []struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &doc) == nil && len(doc.Errors) > 0 {
		first := doc.Errors[0]
		e.Code, e.Message, e.Detail = registry.Clean(first.Code), registry.Clean(first.Message), first.Detail
		return e
	}
	line, _, _ := strings.Cut(string(body), "\n")
	e.Message = registry.Clean(line)
	return e
}

// Error is one line: the server's code and message, what the detail says, and the hint.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if msg := strings.TrimSuffix(e.Message, "."); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if d := e.detailText(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	if e.Code == "VERSION" {
		// The server's message is misleading when the same version is sent again.
		b.WriteString(" (the uploaded version is not newer than the stored one)")
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// detailText renders the detail notary sends: the validation error of INVALID_UPDATE
// ({"Name":"ErrBadTargets","Error":{"Msg":"…"}}) or a plain string (INVALID_ROLE).
func (e *Error) detailText() string {
	var s string
	if json.Unmarshal(e.Detail, &s) == nil {
		return fmt.Sprintf("%q", registry.Clean(s))
	}
	var v struct {
		Name  string
		Error struct{ Msg string }
	}
	if json.Unmarshal(e.Detail, &v) != nil {
		return ""
	}
	switch name, msg := registry.Clean(v.Name), registry.Clean(v.Error.Msg); {
	case name != "" && msg != "":
		return name + ": " + msg
	default:
		return name + msg
	}
}

// HTTPStatus is the status, for registry.Retryable.
func (e *Error) HTTPStatus() int { return e.Status }

// Is makes an *Error match the sentinel of its status class.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrServerUnavailable:
		return e.Status >= 500
	}
	return false
}
