package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/client"
)

func (a *app) revokeCommand() *cobra.Command {
	var roleNames []string
	cmd := &cobra.Command{
		Use:     "revoke IMAGE:TAG...",
		Example: "  trustctl revoke registry.example.com/team/app:1.0\n  trustctl revoke registry.example.com/team/app:1.0 --role qa",
		Short:   "Remove the signatures of tags, like docker trust revoke",
		Long: "Remove tags from the delegations you hold a key for (or from targets when the repository has " +
			"no delegations, or from --role) and publish the change.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			guns, tags, roles, err := signingArgs(args, roleNames)
			if err != nil {
				return err
			}
			for _, gun := range guns {
				r, err := a.onlineRepo(gun, client.Options{})
				if err != nil {
					return err
				}
				from, err := r.Revoke(cmd.Context(), tags[gun], roles)
				if err != nil {
					return fmt.Errorf("revoke %s: %w", gun, err)
				}
				for _, tag := range tags[gun] {
					fmt.Fprintf(a.streams.Out, "Revoked %s:%s from %s\n", gun, tag, roleList(from[tag]))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&roleNames, "role", "r", nil, "remove from these roles instead of every one you hold a key for")
	return cmd
}
