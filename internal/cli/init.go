package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/client"
)

func (a *app) initCommand() *cobra.Command {
	var localSnapshot bool
	cmd := &cobra.Command{
		Use:     "init REPOSITORY",
		Example: "  trustctl init registry.example.com/team/app\n  trustctl init registry.example.com/team/app --local-snapshot",
		Short:   "Create a repository's trust data on the notary server",
		Long: "Create the keys and trust data of a repository and publish them: the trust dir's root key that " +
			"signs the current roots of its repositories (reused across repositories, like docker; a key rotated " +
			"out is never taken) or a new one, a new targets key, the timestamp key and, " +
			"unless --local-snapshot, the snapshot key on the server.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, err := parseGUN(args[0])
			if err != nil {
				return err
			}
			r, err := a.onlineRepo(gun, client.Options{})
			if err != nil {
				return err
			}
			k, err := r.Init(cmd.Context(), client.InitOptions{LocalSnapshot: localSnapshot})
			if err != nil {
				return fmt.Errorf("init %s: %w", gun, err)
			}
			report.InitKeys(a.streams.Out, gun, k)
			return nil
		},
	}
	cmd.Flags().BoolVar(&localSnapshot, "local-snapshot", false, "keep the snapshot key in the trust dir (like notary init) instead of the server")
	return cmd
}
