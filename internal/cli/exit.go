package cli

import "errors"

// Exit codes, documented in docs/exit-codes.md.
const (
	ExitOK        = 0 // success; for verify: every image passed (warnings allowed)
	ExitViolation = 1 // verify: at least one image violates the policy
	ExitInput     = 2 // bad usage or input: flags, files, keys, passphrases
	ExitTrustData = 3 // trust data missing, expired or failing verification
)

// trustDataError marks trust data that is missing or fails verification.
type trustDataError struct{ err error }

func (e trustDataError) Error() string { return e.err.Error() }
func (e trustDataError) Unwrap() error { return e.err }

// exitCode maps an error to the documented exit code. Every error that is not about
// trust data is the user's input (flags, files, keys, passphrases): it is never 0 and
// never claims a policy verdict.
func exitCode(err error) int {
	var (
		trust   trustDataError
		verdict verdictError
	)
	switch {
	case errors.As(err, &verdict):
		return verdict.code
	case errors.As(err, &trust):
		return ExitTrustData
	}
	return ExitInput
}
