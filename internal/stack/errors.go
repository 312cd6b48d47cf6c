package stack

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInput marks every error caused by the files or options given to Load (missing or
// malformed files, bad references, unset required variables): the caller's input is
// wrong, not the tool. errors.Is(err, ErrInput) holds for all of them.
var ErrInput = errors.New("invalid stack input")

// InputError is an input error located in a file, and at a line when it is known.
type InputError struct {
	File    string // as given to Load, or as referenced by include/extends
	Line    int    // 1-based; 0 when unknown
	Service string // empty when the error is not about one service
	Err     error
	// variable is the unset variable the message names, if any.
	variable string
}

// Error is one line: compose-go joins several problems with newlines.
func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(displayPath(e.File))
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Service != "" {
		fmt.Fprintf(&b, "service %q: ", e.Service)
	}
	b.WriteString(strings.ReplaceAll(e.Err.Error(), "\n", "; "))
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// Is makes every InputError match ErrInput.
func (e *InputError) Is(target error) bool { return target == ErrInput }
