package dockertrust

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (e *env) revokeCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke [OPTIONS] IMAGE[:TAG]",
		Short: "Remove trust for an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.revoke(cmd, args[0], yes)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Do not prompt for confirmation")
	return cmd
}

// revoke is docker's revokeTrust: the tag, or after a y/N prompt every signed tag, is
// removed from the roles the trust dir holds keys for, and published.
func (e *env) revoke(cmd *cobra.Command, arg string, yes bool) error {
	ctx := cmd.Context()
	im, err := parseImage(arg)
	if err != nil {
		return err
	}
	if im.tag == "" && im.digest != "" {
		return errors.New("cannot use a digest reference for IMAGE:TAG")
	}
	if im.tag == "" && !yes {
		ok, err := e.confirm(ctx, fmt.Sprintf("Confirm you would like to delete all signature data for %s?", arg))
		if err != nil {
			return err
		}
		if !ok {
			return errCancelled
		}
	}
	fail := func(err error) error { return fmt.Errorf("could not remove signature for %s: %w", arg, err) }
	rc, err := e.repository(im)
	if err != nil {
		return err
	}
	if _, err := rc.Fetch(ctx); err != nil {
		return fail(notaryError(im.gun, err))
	}
	r, err := repo.Open(e.trustDir(), im.gun, repo.Options{})
	if err != nil {
		return fail(err)
	}
	var tags []string
	if im.tag != "" {
		// docker's GetTargetByName(tag, targets/releases, targets): any role of those
		// subtrees will do
		if !slices.ContainsFunc(r.List(repo.ReleasesRole, tuf.RoleTargets), func(t repo.Target) bool { return t.Name == im.tag }) {
			return fail(fmt.Errorf("No valid trust data for %s", im.tag))
		}
		tags = []string{im.tag}
	} else {
		for _, t := range r.List(repo.ReleasesRole, tuf.RoleTargets) {
			tags = append(tags, t.Name)
		}
		if len(tags) == 0 {
			return fail(errors.New("no signed tags to remove"))
		}
	}
	if _, err := rc.Revoke(ctx, tags, nil); err != nil {
		return fail(dockerSigningError(e, err))
	}
	fmt.Fprintf(e.streams.Out, "Successfully deleted signature for %s\n", arg)
	return nil
}
