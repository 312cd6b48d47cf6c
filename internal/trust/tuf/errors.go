package tuf

import (
	"errors"
	"fmt"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// Reason classifies why metadata was refused. Each reason is also a sentinel error, so
// that errors.Is(err, tuf.ErrExpired) works on a *VerifyError and on the errors the
// verification steps wrap.
type Reason string

func (r Reason) Error() string { return string(r) }

// The reasons metadata is refused.
const (
	ErrExpired           Reason = "expired"
	ErrSignature         Reason = "signature"
	ErrThreshold         Reason = "threshold"
	ErrRollback          Reason = "rollback"
	ErrHashMismatch      Reason = "hash-mismatch"
	ErrLength            Reason = "length"
	ErrWrongType         Reason = "wrong-type"
	ErrInvalidDelegation Reason = "invalid-delegation"
	ErrCertInvalid       Reason = "cert-invalid"
	ErrPinMismatch       Reason = "pin-mismatch"
	ErrMalformed         Reason = "malformed"
	ErrNoTrustData       Reason = "no-trust-data"
)

// VerifyError says which file of which repository failed, and why.
type VerifyError struct {
	GUN    string
	Role   string
	File   string
	Reason Reason
	Err    error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("trust data of %s: %s (%s): %v", e.GUN, e.Role, e.File, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's reason, and the trust data kind of exit code.
func (e *VerifyError) Is(target error) bool {
	if target == exitcode.ErrTrustData {
		return true
	}
	r, ok := target.(Reason)
	return ok && r == e.Reason
}

// reasonf makes an error carrying a reason: "<reason>: <message>".
func reasonf(r Reason, format string, args ...any) error {
	return fmt.Errorf("%w: %s", r, fmt.Sprintf(format, args...))
}

// newVerifyError names the repository, role and file of err; its reason is the first
// Reason wrapped in err, ErrMalformed when there is none (a JSON or key parse error).
func newVerifyError(gun, role, file string, err error) *VerifyError {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve
	}
	r := ErrMalformed
	errors.As(err, &r)
	return &VerifyError{GUN: gun, Role: role, File: file, Reason: r, Err: err}
}
