package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

func (a *app) keyRemoveCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "remove KEY-ID",
		Example: "  trustctl key export 3bedec58b0d2 backup.key && trustctl key remove 3bedec58b0d2 --yes",
		Short:   "Delete a private key from the trust dir",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return fmt.Errorf("remove key %s: deleting a private key cannot be undone; export it first, then pass --yes", args[0])
			}
			if err := a.withKeyLock(func(ks *keys.Store) error { return ks.Remove(args[0]) }); err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "Removed key %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "confirm the deletion")
	return cmd
}
