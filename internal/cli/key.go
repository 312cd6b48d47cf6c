package cli

import "github.com/spf13/cobra"

func (a *app) keyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the private keys of the trust dir",
	}
	return cmd
}
