package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// exitCode is the exit code of every command: the packages that own an error give it
// its kind, and internal/exitcode's table turns kinds into codes.
func exitCode(err error) int { return exitcode.Of(err) }

// shownError is a message the user has already seen on stdout (the summary that ends
// verify's table): it sets the exit code, and Execute does not print it again.
type shownError struct{ error }

func shown(err error) error { return &shownError{err} }

// alreadyShown tells whether err says nothing the user has not seen: wrapped with
// other errors, those are still printed.
func alreadyShown(err error) bool {
	var s *shownError
	return errors.As(err, &s) && err.Error() == s.Error()
}

// usageError is a mistake in the command line itself (an unknown command or flag, a
// wrong number of arguments): it names the command and shows its usage line.
func usageError(cmd *cobra.Command, err error) error {
	if !cmd.HasParent() { // the root: "trustctl: " prefixes every error already
		return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("%w (usage: %s)", err, cmd.UseLine()))
	}
	return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("%s: %w (usage: %s)", commandName(cmd), err, cmd.UseLine()))
}

// commandName is the command's path without the program's name: "key import".
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
