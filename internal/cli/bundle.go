package cli

import "github.com/spf13/cobra"

func (a *app) bundleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Read MKE/UCP client bundles",
	}
	return cmd
}
