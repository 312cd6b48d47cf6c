package cli

import (
	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

func (a *app) keyListCommand() *cobra.Command {
	return withFormats(&cobra.Command{
		Use:     "list",
		Example: "  trustctl key list\n  trustctl key list -o json",
		Short:   "List the private keys of the trust dir, like notary key list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := a.keyStore().List()
			if err != nil {
				return err
			}
			type keyJSON struct {
				Role     string `json:"role"`
				GUN      string `json:"gun"`
				ID       string `json:"id"`
				Location string `json:"location"`
			}
			return writeListing(a, cmd, list, []string{"ROLE", "GUN", "KEY ID", "LOCATION"},
				func(k keys.Info) []string { return []string{k.Role, k.GUN, k.ID, k.Path} },
				func(k keys.Info) any { return keyJSON{Role: k.Role, GUN: k.GUN, ID: k.ID, Location: k.Path} })
		},
	}, outputTable, outputJSON)
}
