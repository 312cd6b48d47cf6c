package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/store"
)

func (a *app) policyPinCommand() *cobra.Command {
	var (
		opts gate.PinOptions
		now  string
	)
	cmd := &cobra.Command{
		Use:     "pin POLICY [-f STACKFILE... | REPOSITORY...]",
		Example: "  trustctl fetch -f stack.yml && trustctl policy pin policy.yml -f stack.yml\n  trustctl policy pin policy.yml registry.example.com/team/app",
		Short:   "Pin the roots trusted now: add trust.pins entries to a policy file",
		Long: "Add to trust.pins of POLICY an entry for every repository of the stack files (or given) that no " +
			"pin covers yet, with the certificate ID of the root the trust dir trusts now (run `trustctl fetch` " +
			"first). The file is edited in place, comments and layout kept. A repository without trust data " +
			"stops the command before anything is written. A pin holds across root rotations: see docs/policy.md.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			opts.PolicyFile, opts.Now = args[0], at
			for _, arg := range args[1:] {
				gun, err := parseGUN(arg)
				if err != nil {
					return err
				}
				opts.Repositories = append(opts.Repositories, gun)
			}
			if len(opts.Repositories) == 0 && len(opts.Files) == 0 {
				return errors.New("give repositories or -f STACKFILE")
			}
			opts.TrustDir = store.Dir{Root: a.trustDir()}
			opts.Stack = stack.Options{}
			res, err := gate.Pin(cmd.Context(), opts)
			if err != nil {
				return err
			}
			covered := make([]string, 0, len(res.Covered))
			for gun := range res.Covered {
				covered = append(covered, gun)
			}
			slices.Sort(covered)
			for _, gun := range covered {
				fmt.Fprintf(a.streams.Out, "%s: already pinned by %s\n", gun, res.Covered[gun])
			}
			for _, p := range res.Added {
				fmt.Fprintf(a.streams.Out, "%s: pinned to root certificate %s\n", p.Repository, strings.Join(p.RootKeys, ", "))
			}
			if len(res.Added) > 0 {
				fmt.Fprintf(a.streams.Out, "Added %d trust.pins entries to %s\n", len(res.Added), opts.PolicyFile)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&opts.Files, "file", "f", nil, "compose or stack file whose images' repositories are pinned")
	cmd.Flags().StringVar(&now, "now", "", "judge certificate validity at this time (RFC 3339) instead of now")
	return cmd
}
