package cli

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (a *app) resolveCommand() *cobra.Command {
	var (
		policyFile string
		now        string
		fetch      bool
	)
	cmd := &cobra.Command{
		Use:     "resolve IMAGE... [--policy POLICY] [--fetch]",
		Example: "  trustctl resolve registry.example.com/team/app:1.0\n  trustctl resolve --fetch --policy policy.yml registry.example.com/team/app:1.0 -o json",
		Short:   "Print the name:tag@digest that docker pull with content trust would pull",
		Long: "Resolve each image as docker 28 does with DOCKER_CONTENT_TRUST=1 (targets/releases, then targets; " +
			"a tag a delegated role holds first is refused) from the trust dir, and print name:tag@sha256:… one per " +
			"line, only when every image resolved. --fetch refreshes the trust data first; --policy also requires a " +
			"pass of the policy. Exit codes as verify: 0 resolved, 1 refused, 2 bad input, 3 trust data error. " +
			"Example: docker pull \"$(trustctl resolve registry.example.com/app:1.4)\"",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			var pol *policy.Policy
			if policyFile != "" {
				if pol, err = policy.Load(policyFile); err != nil {
					return err
				}
			}
			if fetch {
				if err := a.fetchImages(cmd, args, pol, at); err != nil {
					return err
				}
			}
			resolved, err := gate.Resolve(cmd.Context(), gate.Options{Policy: pol, TrustDir: store.Dir{Root: a.trustDir()}, Now: at, Log: a.log}, args)
			if err != nil {
				return err
			}
			if err := report.RenderResolve(a.streams.Out, a.jsonOutput(cmd), resolved); err != nil {
				return err
			}
			return resolveVerdict(resolved)
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyFile, "policy", "", "policy file the images must also pass (docs/policy.md)")
	f.StringVar(&now, "now", "", "judge expiry and exceptions at this time (RFC 3339) instead of now")
	f.BoolVar(&fetch, "fetch", false, "download and verify the repositories' trust data from the server first")
	return withFormats(cmd, outputTable, outputJSON)
}

// resolveVerdict is verify's exit code for the worst resolution, with one line per
// image that did not resolve.
func resolveVerdict(rs []pin.Resolved) error {
	decisions := make([]policy.Decision, 0, len(rs))
	var refused []error
	worst := policy.Pass
	for _, r := range rs {
		decisions = append(decisions, r.Decision)
		if r.Reference == "" {
			refused = append(refused, fmt.Errorf("%s: %s", r.Image, r.Decision.Reason))
			worst = max(worst, r.Decision.Result)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	kind := worst.Kind()
	if kind == nil {
		kind = exitcode.ErrViolation // passed the policy, yet docker would pull nothing
	}
	return exitcode.Mark(kind, errors.Join(refused...))
}

// fetchImages refreshes the trust data of the images' repositories, each root pinned
// as the policy says.
func (a *app) fetchImages(cmd *cobra.Command, images []string, pol *policy.Policy, at time.Time) error {
	var guns []string
	for _, image := range images {
		ref, err := parseImageRef(image)
		if err != nil {
			return err
		}
		guns = append(guns, ref.gun)
	}
	slices.Sort(guns)
	guns = slices.Compact(guns)
	repos := make([]*client.Repository, len(guns))
	for i, gun := range guns {
		opts := client.Options{Now: at}
		if pol != nil {
			if p, ok := pol.PinFor(gun); ok {
				opts.Pin = &tuf.Pin{CertIDs: p.RootKeys, CAs: p.CA}
			}
		}
		var err error
		if repos[i], err = a.onlineRepo(gun, opts); err != nil {
			return err
		}
	}
	_, errs := client.FetchAll(cmd.Context(), repos, func() {})
	for i, err := range errs {
		if err != nil {
			errs[i] = fmt.Errorf("fetch %s: %w", guns[i], err)
		}
	}
	return errors.Join(errs...)
}
