package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (a *app) keyRotateCommand() *cobra.Command {
	var serverManaged bool
	cmd := &cobra.Command{
		Use:     "rotate REPOSITORY root|targets|snapshot|timestamp",
		Example: "  trustctl key rotate registry.example.com/team/app targets\n  trustctl key rotate registry.example.com/team/app snapshot --server-managed",
		Short:   "Replace a repository's key and publish the new root",
		Long: "Replace the key of a base role: root (a new root key and certificate; the new root is signed by " +
			"the old and the new key so clients walk the chain), targets, snapshot (in the trust dir, or with " +
			"--server-managed on the server, deleting the local key) or timestamp (always the server's).",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, err := parseGUN(args[0])
			if err != nil {
				return err
			}
			role := args[1]
			r, err := a.onlineRepo(gun, client.Options{})
			if err != nil {
				return err
			}
			pub, err := r.RotateKey(cmd.Context(), role, serverManaged)
			if err != nil {
				return fmt.Errorf("rotate the %s key of %s: %w", role, gun, err)
			}
			id, _ := pub.CanonicalID()
			where := ""
			if serverManaged || role == tuf.RoleTimestamp {
				id, where = pub.ID(), " (on the server)"
			}
			fmt.Fprintf(a.streams.Out, "Rotated the %s key of %s: new key %s%s\n", role, gun, id, where)
			if role == tuf.RoleRoot {
				fmt.Fprintf(a.streams.Out, "New root certificate ID: %s\n"+
					"Pins (trust.pins root_keys) on the old root certificate still hold: the new root is signed by the old key, "+
					"and verify follows the chain. Pin the new one with `trustctl policy pin POLICY %s` after `trustctl fetch %s`, "+
					"then remove the old ID from root_keys if it should no longer be trusted (docs/policy.md).\n", pub.ID(), gun, gun)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&serverManaged, "server-managed", "r", false, "let the server hold the new snapshot key")
	return cmd
}
