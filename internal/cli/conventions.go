package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// applyConventions gives every command of the tree the conventions of the root: usage
// errors that name the command and show its usage line, and group commands that refuse
// unknown subcommands. It runs over the whole tree, so a new command cannot forget them.
func applyConventions(root *cobra.Command) {
	root.SetFlagErrorFunc(usageError)
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if validate := cmd.Args; validate != nil {
			cmd.Args = func(cmd *cobra.Command, args []string) error {
				if err := validate(cmd, args); err != nil {
					return usageError(cmd, err)
				}
				return nil
			}
		}
		refuseUnknownSubcommands(cmd)
	}
	walk(root)
}

// refuseUnknownSubcommands makes the root and every group command (key, delegate,
// policy, …) treat an argument that names no subcommand as a usage error on one line:
// cobra does so only at the root, with a multi-line message, and without it `trustctl
// key lsit` prints help and exits 0, so a mistyped CI step passes. A group without
// arguments still prints its help.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("unknown command %q for %q%s", args[0], cmd.CommandPath(), suggestion(cmd, args[0])))
	}
}

// suggestion is cobra's "did you mean" list for a mistyped subcommand, on one line.
func suggestion(cmd *cobra.Command, arg string) string {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default at the root
	}
	names := cmd.SuggestionsFor(arg)
	if len(names) == 0 {
		return fmt.Sprintf("; run '%s --help' for its commands", cmd.CommandPath())
	}
	return "; did you mean " + strings.Join(names, " or ") + "?"
}
