// Package exitcode maps the kinds of error to trustctl's documented exit codes
// (docs/exit-codes.md) in one table, as cosign's exit_code_lookup.go does. The packages
// that own an error say its kind: they wrap it with Mark or make their sentinels with
// New, and the command line asks Of.
package exitcode

import "errors"

// The documented exit codes.
const (
	OK        = 0 // success; for verify: every image passed (warnings allowed)
	Violation = 1 // verify: at least one image violates the policy
	Input     = 2 // bad usage or input: flags, arguments, files, keys, passphrases
	TrustData = 3 // trust data missing, expired, unreachable or failing verification
)

// The kinds of error. Every error of no kind is the user's input: it is never 0 and
// never claims a policy verdict.
var (
	ErrViolation = errors.New("policy violation")
	ErrTrustData = errors.New("trust data error")
	ErrUsage     = errors.New("usage error")
)

// table is the one place where a kind becomes an exit code; the first match wins, so a
// verdict outranks the trust data problems it may wrap.
var table = []struct {
	kind error
	code int
}{
	{ErrViolation, Violation},
	{ErrTrustData, TrustData},
	{ErrUsage, Input},
}

// Of is the exit code of a command that returned err.
func Of(err error) int {
	if err == nil {
		return OK
	}
	for _, row := range table {
		if errors.Is(err, row.kind) {
			return row.code
		}
	}
	return Input
}

// Mark gives err the kind; the message is err's.
func Mark(kind, err error) error {
	if err == nil {
		return nil
	}
	return &marked{kind: kind, err: err}
}

type marked struct {
	kind error
	err  error
}

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.err, m.kind} }

// New makes a sentinel error of a kind, for packages that declare their own:
// errors.Is matches both the sentinel and the kind.
func New(kind error, msg string) error { return &sentinel{msg: msg, kind: kind} }

type sentinel struct {
	msg  string
	kind error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.kind }
