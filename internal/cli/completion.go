package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish",
		Example:   "  trustctl completion bash > /etc/bash_completion.d/trustctl\n  trustctl completion zsh > \"${fpath[1]}/_trustctl\"",
		Short:     "Print a shell completion script",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(a.streams.Out)
			case "fish":
				return root.GenFishCompletion(a.streams.Out, true)
			}
			return fmt.Errorf("completion: unknown shell %q (bash, zsh or fish)", args[0])
		},
	}
}
