package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/repo"
)

func (a *app) listCommand() *cobra.Command {
	var flags readFlags
	var roles []string
	var offline bool
	cmd := &cobra.Command{
		Use:     "list REPOSITORY",
		Example: "  trustctl list registry.example.com/team/app\n  trustctl list registry.example.com/team/app --roles targets/releases -o json",
		Short:   "List the signed targets of a repository, like notary list",
		Long: "List the targets of a repository's verified trust data as `notary list` does: " +
			"targets and every delegation, or the subtrees of --roles in priority order. The trust data is fetched " +
			"first when a notary server is named (--server, DOCKER_CONTENT_TRUST_SERVER or the config); otherwise, " +
			"and with --offline, the trust dir's copy is read and its age shown.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, err := parseGUN(args[0])
			if err != nil {
				return err
			}
			opts, err := flags.options()
			if err != nil {
				return err
			}
			r, err := a.viewRepo(cmd.Context(), gun, opts, offline)
			if err != nil {
				return err
			}
			type targetJSON struct {
				Name   string `json:"name"`
				Digest string `json:"digest"`
				Size   int64  `json:"size"`
				Role   string `json:"role"`
			}
			return writeListing(a, cmd, r.List(roles...), []string{"NAME", "DIGEST", "SIZE (BYTES)", "ROLE"},
				func(t repo.Target) []string {
					return []string{t.Name, strings.TrimPrefix(t.Digest, "sha256:"), strconv.FormatInt(t.Size, 10), t.Role}
				},
				func(t repo.Target) any { return targetJSON{t.Name, t.Digest, t.Size, t.Role} })
		},
	}
	flags.register(cmd)
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "roles whose subtrees are listed, in priority order (default targets)")
	cmd.Flags().BoolVar(&offline, "offline", false, "read the trust dir only, even when a notary server is named")
	return withFormats(cmd, outputTable, outputJSON)
}
