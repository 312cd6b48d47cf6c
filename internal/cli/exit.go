package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// exitCode is the exit code of every command: the packages that own an error give it
// its kind, and internal/exitcode's table turns kinds into codes.
func exitCode(err error) int { return exitcode.Of(err) }

// usageError is a mistake in the command line itself (an unknown command or flag, a
// wrong number of arguments): it names the command and shows its usage line.
func usageError(cmd *cobra.Command, err error) error {
	return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("%s: %w (usage: %s)", commandName(cmd), err, cmd.UseLine()))
}

// commandName is the command's path without the program's name: "key import".
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
