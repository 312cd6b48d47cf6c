package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/client"
)

func (a *app) fetchCommand() *cobra.Command {
	var flags readFlags
	var files []string
	cmd := &cobra.Command{
		Use:     "fetch [REPOSITORY...] [-f STACKFILE...]",
		Example: "  trustctl fetch registry.example.com/team/app\n  trustctl fetch -f stack.yml --root-key 80a53ffcfdd3…",
		Short:   "Download and verify trust data into the trust dir for offline verify",
		Long: "Download the trust data of repositories (or of every image of compose/stack files) from the " +
			"notary server, verify it as notary does (timestamp, snapshot, targets and delegations by hash, " +
			"root rotations) and write it into the trust dir, only once everything verified. --root-key and " +
			"--root-ca pin the root instead of trusting the first one seen.",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := flags.options()
			if err != nil {
				return err
			}
			var guns []string
			for _, arg := range args {
				ref, err := parseImageRef(arg)
				if err != nil {
					return err
				}
				guns = append(guns, ref.gun)
			}
			if len(files) > 0 {
				uses, err := stack.Load(cmd.Context(), files, stack.Options{})
				if err != nil {
					return err
				}
				guns = append(guns, stack.Repositories(uses)...)
			}
			if len(guns) == 0 {
				return errors.New("give repositories or -f STACKFILE")
			}
			slices.Sort(guns)
			guns = slices.Compact(guns)
			repos := make([]*client.Repository, len(guns))
			for i, gun := range guns {
				if repos[i], err = a.onlineRepo(gun, client.Options{Now: opts.Now, Pin: opts.Pin}); err != nil {
					return err
				}
			}
			bar := a.progress("fetching repositories", len(repos))
			metas, errs := client.FetchAll(cmd.Context(), repos, bar.Increment)
			bar.Done()
			for i, gun := range guns {
				meta := metas[i]
				if errs[i] != nil {
					errs[i] = fmt.Errorf("fetch %s: %w", gun, errs[i])
					continue
				}
				for _, bad := range meta.Invalid {
					a.log.Warn("delegation refused", "repository", gun, "reason", bad.Error())
				}
				fmt.Fprintf(a.streams.Out, "Fetched %s: root v%d, targets v%d, snapshot v%d, timestamp v%d (expires %s)\n",
					gun, meta.Root.Version, meta.Targets.Signed.Version, meta.Snapshot.Version, meta.Timestamp.Version,
					meta.Timestamp.Expires.UTC().Format("2006-01-02T15:04:05Z"))
			}
			return errors.Join(errs...)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringSliceVarP(&files, "file", "f", nil, "compose or stack file whose images' repositories are fetched")
	return cmd
}
