package cli

import "github.com/spf13/cobra"

func (a *app) keyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "key",
		Example: "  trustctl key list\n  trustctl key generate alice",
		Short:   "Manage the private keys of the trust dir",
	}
	cmd.AddCommand(
		a.keyGenerateCommand(),
		a.keyImportCommand(),
		a.keyListCommand(),
		a.keyExportCommand(),
		a.keyPasswdCommand(),
		a.keyRemoveCommand(),
		a.keyRotateCommand(),
	)
	return cmd
}
