package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// defaultFetchTimeout bounds a whole fetch. A healthy server answers a repository in
// well under a second and 8 are fetched at once, so 200 repositories take about 30 s;
// ten minutes is never reached but stops a CI job that a stalling server would keep.
const defaultFetchTimeout = 10 * time.Minute

// fetchOptions are the inputs of fetch.
type fetchOptions struct {
	read       readFlags
	files      []string
	policyFile string
	timeout    time.Duration
	cosign     bool
	evidence   bool
}

func (a *app) fetchCommand() *cobra.Command {
	var o fetchOptions
	cmd := &cobra.Command{
		Use:     "fetch [REPOSITORY...] [-f STACKFILE...] [--policy POLICY]",
		Example: "  trustctl fetch registry.example.com/team/app\n  trustctl fetch -f stack.yml --policy policy.yml\n  trustctl fetch -f stack.yml --root-key 80a53ffcfdd3…",
		Short:   "Download and verify trust data into the trust dir for offline verify",
		Long: "Download the trust data of repositories (or of every image of compose/stack files) from the " +
			"notary server, verify it as notary does (timestamp, snapshot, targets and delegations by hash, " +
			"root rotations) and write it into the trust dir, only once everything verified. --policy " +
			"applies the policy's trust.pins as verify does, and --root-key and --root-ca pin the root, " +
			"instead of trusting the first one seen: a root failing its pin never enters the trust dir. " +
			"With --cosign, or a policy whose trust.sources lists cosign, the cosign signatures of the digests " +
			"in use (and each tag's digest on the registry) are downloaded too, unverified, for verify to check offline. " +
			"With --evidence, or a policy whose trust.sources lists evidence, so are the evidence artifacts `migrate --evidence` " +
			"attached to those digests: `verify --evidence` re-verifies the original Notary v1 signatures from them, with no notary server.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.fetch(cmd.Context(), o, args)
		},
	}
	o.read.register(cmd)
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "file", "f", nil, "compose or stack file whose images' repositories are fetched")
	f.StringVar(&o.policyFile, "policy", "", "policy file whose trust.pins pin the roots, as in verify")
	f.DurationVar(&o.timeout, "timeout", defaultFetchTimeout, "give up on the whole fetch after this long (each request also has its own limit)")
	f.BoolVar(&o.cosign, "cosign", false, "also download the cosign signatures of the images' digests, for verify (implied by a --policy whose trust.sources lists cosign)")
	f.BoolVar(&o.evidence, "evidence", false, "also download the evidence artifacts of the images' digests (`migrate --evidence`), for verify --evidence (implied by a --policy whose trust.sources lists evidence)")
	return cmd
}

func (a *app) fetch(ctx context.Context, o fetchOptions, args []string) error {
	opts, err := o.read.options()
	if err != nil {
		return err
	}
	if o.timeout <= 0 {
		return fmt.Errorf("--timeout %s: give a positive duration", o.timeout)
	}
	fopts := gate.FetchOptions{Files: o.files, Pin: opts.Pin, Now: opts.Now, Timeout: o.timeout, Cosign: o.cosign, Evidence: o.evidence,
		TrustDir: store.Dir{Root: a.trustDir()}, Repo: a.onlineRepo, Registry: a.registry, Log: a.log, Out: a.streams.Out,
		Progress: func(what string, n int) gate.Progress { return a.progress(what, n) }}
	if o.policyFile != "" {
		if opts.Pin != nil {
			return errors.New("give --policy or --root-key/--root-ca, not both")
		}
		if fopts.Policy, err = policy.Load(o.policyFile); err != nil {
			return err
		}
	}
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		fopts.Refs = append(fopts.Refs, gate.ImageRef{GUN: ref.gun, Tag: ref.tag, Digest: ref.digest})
	}
	return gate.Fetch(ctx, fopts)
}
