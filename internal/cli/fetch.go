package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/distribution/reference"
	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
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
	var pol *policy.Policy
	if o.policyFile != "" {
		if opts.Pin != nil {
			return errors.New("give --policy or --root-key/--root-ca, not both")
		}
		if pol, err = policy.Load(o.policyFile); err != nil {
			return err
		}
	}
	var guns []string
	var refs []imageRef // the references in use, for cosign
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		guns = append(guns, ref.gun)
		refs = append(refs, ref)
	}
	if len(o.files) > 0 {
		uses, err := stack.Load(ctx, o.files, stack.Options{})
		if err != nil {
			return err
		}
		guns = append(guns, stack.Repositories(uses)...)
		for _, u := range uses {
			if u.Named != nil {
				refs = append(refs, imageRefOf(reference.TagNameOnly(u.Named)))
			}
		}
	}
	withCosign := o.cosign || pol != nil && pol.Sources().Cosign
	withEvidence := o.evidence || pol != nil && pol.Sources().Evidence
	if len(guns) == 0 {
		return errors.New("give repositories or -f STACKFILE")
	}
	slices.Sort(guns)
	guns = slices.Compact(guns)
	// A policy that no longer lists notary as a source needs nothing of the notary
	// server, which may be gone: only cosign signatures and evidence are fetched.
	withNotary := pol == nil || pol.Sources().Notary
	repos := make([]*client.Repository, len(guns))
	for i, gun := range guns {
		if !withNotary {
			break
		}
		copts := client.Options{Now: opts.Now, Pin: opts.Pin}
		if pol != nil {
			copts.Pin = gate.TrustPin(pol, gun)
		}
		if repos[i], err = a.onlineRepo(gun, copts); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	metas, errs := make([]*tuf.Repository, len(guns)), make([]error, len(guns))
	if withNotary {
		bar := a.progress("fetching repositories", len(repos))
		metas, errs = client.FetchAll(ctx, repos, bar.Increment)
		bar.Done()
	}
	for i, gun := range guns {
		meta := metas[i]
		// An image that only cosign signed, or whose notary server has forgotten it, has no
		// Notary v1 data.
		cosignOnly := (withCosign || withEvidence) && errors.Is(errs[i], client.ErrNotInitialized)
		if cosignOnly {
			a.log.Warn("no Notary v1 trust data; fetching "+otherSources(withCosign, withEvidence)+" only", "repository", gun)
			errs[i] = nil
		}
		if errs[i] != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: not done within --timeout %s: %w", gun, o.timeout, errs[i]))
				continue
			}
			errs[i] = fmt.Errorf("fetch %s: %w", gun, errs[i])
			continue
		}
		if withNotary && !cosignOnly {
			if meta.TrustOnFirstUse {
				a.log.Warn("root not pinned: trusted as first seen (pin it with --policy and `trustctl policy pin`)", "repository", gun)
			}
			for _, bad := range meta.Invalid {
				a.log.Warn("delegation refused", "repository", gun, "reason", bad.Error())
			}
			fmt.Fprintf(a.streams.Out, "Fetched %s: root v%d, targets v%d, snapshot v%d, timestamp v%d (expires %s)\n",
				gun, meta.Root.Version, meta.Targets.Signed.Version, meta.Snapshot.Version, meta.Timestamp.Version,
				meta.Timestamp.Expires.UTC().Format("2006-01-02T15:04:05Z"))
		}
		if withCosign {
			if err := a.fetchCosign(ctx, gun, refs, pol, opts.Now); err != nil {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: cosign signatures: %w", gun, err))
				continue
			}
		}
		if withEvidence {
			if err := a.fetchEvidence(ctx, gun, refs, pol, opts.Now); err != nil {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: evidence: %w", gun, err))
			}
		}
	}
	return errors.Join(errs...)
}

// otherSources names what fetch downloads besides Notary v1 data.
func otherSources(cosign, evidence bool) string {
	switch {
	case cosign && evidence:
		return "cosign signatures and evidence"
	case cosign:
		return "cosign signatures"
	}
	return "evidence"
}

// fetchCosign downloads the cosign signatures of gun's references in use: of the
// digest Notary v1 releases for each tag, of the digest the registry serves for it, and
// of pinned digests. Verify checks them offline.
func (a *app) fetchCosign(ctx context.Context, gun string, refs []imageRef, pol *policy.Policy, now time.Time) error {
	dir := store.Dir{Root: a.trustDir()}
	reg, req, err := a.digestsInUse(gun, refs, pol, now)
	if err != nil {
		return err
	}
	n, err := sigcache.FetchRepository(ctx, dir, reg, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.streams.Out, "Fetched cosign signatures of %s: %d digests, %d legacy signatures, %d bundles\n", gun, n.Digests, n.Signatures, n.Bundles)
	return nil
}

// fetchEvidence downloads the evidence artifacts of the same digests; verify
// re-verifies them offline.
func (a *app) fetchEvidence(ctx context.Context, gun string, refs []imageRef, pol *policy.Policy, now time.Time) error {
	dir := store.Dir{Root: a.trustDir()}
	reg, req, err := a.digestsInUse(gun, refs, pol, now)
	if err != nil {
		return err
	}
	digests, artifacts, err := sigcache.FetchEvidence(ctx, dir, reg, req, migrate.ArtifactTypeEvidence)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.streams.Out, "Fetched evidence of %s: %d digests, %d evidence artifacts\n", gun, digests, artifacts)
	return nil
}

// digestsInUse are gun's references in use, for the registry: the tags (whose digests
// the registry serves), the pinned digests and the digests Notary v1 releases for the
// tags in the trust dir.
func (a *app) digestsInUse(gun string, refs []imageRef, pol *policy.Policy, now time.Time) (*registry.Client, sigcache.Request, error) {
	req := sigcache.Request{GUN: gun}
	for _, r := range refs {
		if r.gun != gun {
			continue
		}
		if r.tag != "" {
			req.Tags = append(req.Tags, r.tag)
		}
		if r.digest != "" {
			req.Digests = append(req.Digests, r.digest)
		}
	}
	slices.Sort(req.Tags)
	req.Tags = slices.Compact(req.Tags)
	if now.IsZero() {
		now = time.Now()
	}
	for _, d := range gate.NotaryReleases(store.Dir{Root: a.trustDir()}, gun, req.Tags, pol, now) {
		req.Digests = append(req.Digests, d)
	}
	reg, repo, err := a.registry(gun)
	if err != nil {
		return nil, req, err
	}
	req.Repo = repo
	return reg, req, nil
}
