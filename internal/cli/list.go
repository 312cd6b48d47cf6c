package cli

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
)

func (a *app) listCommand() *cobra.Command {
	var flags readFlags
	var roles []string
	cmd := &cobra.Command{
		Use:   "list REPOSITORY",
		Short: "List the signed targets of a repository from the trust dir, like notary list",
		Long: "List the targets of a repository's verified trust data, offline, as `notary list` does: " +
			"targets and every delegation, or the subtrees of --roles in priority order.",
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
			r, err := a.openRepo(gun, opts)
			if err != nil {
				return err
			}
			targets := r.List(roles...)
			if a.jsonOutput() {
				type targetJSON struct {
					Name   string `json:"name"`
					Digest string `json:"digest"`
					Size   int64  `json:"size"`
					Role   string `json:"role"`
				}
				out := make([]targetJSON, 0, len(targets))
				for _, t := range targets {
					out = append(out, targetJSON{t.Name, t.Digest, t.Size, t.Role})
				}
				return writeJSON(a.streams.Out, out)
			}
			rows := make([][]string, 0, len(targets))
			for _, t := range targets {
				rows = append(rows, []string{t.Name, strings.TrimPrefix(t.Digest, "sha256:"), strconv.FormatInt(t.Size, 10), t.Role})
			}
			return report.Table(a.streams.Out, []string{"NAME", "DIGEST", "SIZE (BYTES)", "ROLE"}, rows)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "roles whose subtrees are listed, in priority order (default targets)")
	return cmd
}
