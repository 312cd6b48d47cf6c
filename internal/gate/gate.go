// Package gate is the verify pipeline: the images of compose or stack files, the
// verified trust data of their repositories, and the policy's decision for each use.
// It reads the trust dir only; it never touches the network.
package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Options are the inputs of a run.
type Options struct {
	Files    []string
	Stack    stack.Options
	Policy   *policy.Policy
	TrustDir store.Dir
	// Now is when expiry and exceptions are judged; zero means time.Now().
	Now time.Time
	Log *slog.Logger
}

// Run loads the files, verifies each repository once (in parallel), and evaluates every
// image use, in the order of the uses. The error is for bad input only (stack files);
// trust data problems are decisions.
func Run(ctx context.Context, opts Options) ([]policy.Decision, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	uses, err := stack.Load(ctx, opts.Files, opts.Stack)
	if err != nil {
		return nil, err
	}
	decisions := make([]policy.Decision, len(uses))
	byRepo := make(map[string][]int) // use indexes per repository
	for i, use := range uses {
		if d, ok := pullsNothing(use); ok {
			decisions[i] = d
			continue
		}
		byRepo[use.Named.Name()] = append(byRepo[use.Named.Name()], i)
	}
	// Each repository is verified once and its uses decided right away, so only as many
	// verified repositories as there are workers are held in memory.
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for gun, idx := range byRepo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v := verifyRepository(ctx, opts, gun, now)
			for _, i := range idx {
				decisions[i] = opts.Policy.Evaluate(factsFor(uses[i], source(uses[i]), v), now)
			}
		})
	}
	wg.Wait()
	return decisions, nil
}

func source(use stack.ImageUse) policy.Source {
	return policy.Source{Service: use.Service, Use: use.Use, File: use.File, Line: use.Line}
}

// pullsNothing decides about a service that pulls no image from a registry: there is
// nothing to verify, and the report must say why rather than pass it silently.
func pullsNothing(use stack.ImageUse) (policy.Decision, bool) {
	d := policy.Decision{Source: source(use)}
	if use.Image != "" {
		if img, err := policy.ParseImage(use.Image); err == nil {
			d.Image = img
		}
	}
	switch {
	case use.NotDeployed:
		d.Result, d.Code, d.Rule = policy.Warn, policy.CodeNotDeployed, "profiles"
		d.Reason = "not deployed (profiles " + strings.Join(use.Profiles, ", ") + " not active): not checked"
	case use.Provider != "":
		d.Result, d.Code, d.Rule = policy.Pass, policy.CodeProvider, "provider"
		d.Reason = "provider service (type " + use.Provider + "): runs no image"
	case use.BuildOnly:
		d.Result, d.Code, d.Rule = policy.Warn, policy.CodeBuildOnly, "build-only"
		d.Reason = "image built locally (build only): nothing signed to verify"
	default:
		return d, false
	}
	return d, true
}

// Explanation is how the policy decided about one image, with the trust facts it saw.
type Explanation struct {
	policy.Explanation
	Facts policy.Facts `json:"facts"`
}

// Explain decides about one image reference, as verify would, and says why.
func Explain(ctx context.Context, opts Options, image string) (Explanation, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return Explanation{}, fmt.Errorf("image %q: %w", image, err)
	}
	v := verifyRepository(ctx, opts, named.Name(), now)
	facts := factsFor(stack.ImageUse{Image: image, Named: named}, policy.Source{}, v)
	return Explanation{Explanation: opts.Policy.Explain(facts, now), Facts: facts}, nil
}

// verified is the outcome of verifying one repository.
type verified struct {
	repo    *repo.Repo
	problem *policy.TrustProblem
	cosign  *cosignRepo // nil unless trust.sources lists cosign
	// evidence is nil unless trust.sources lists evidence (or verify --evidence).
	evidence *evidenceRepo
}

// verifyRepository verifies the Notary v1 trust data of gun and opens its cosign
// signatures and its evidence when the policy lists them as sources.
func verifyRepository(ctx context.Context, opts Options, gun string, now time.Time) verified {
	v := verifyNotary(ctx, opts, gun, now)
	if opts.Policy.Sources().Cosign {
		v.cosign = openCosign(opts.TrustDir, gun, opts.Policy)
	}
	if opts.Policy.Sources().Evidence {
		v.evidence = openEvidence(opts.TrustDir, gun, opts.Policy)
	}
	return v
}

func verifyNotary(ctx context.Context, opts Options, gun string, now time.Time) verified {
	if err := ctx.Err(); err != nil {
		return verified{problem: &policy.TrustProblem{Kind: policy.TrustInvalid, Reason: err.Error()}}
	}
	ropts := repo.Options{Now: now, Pin: TrustPin(opts.Policy, gun)}
	r, err := repo.Open(opts.TrustDir, gun, ropts)
	if errors.Is(err, tuf.ErrExpired) && opts.Policy.Expired() == policy.ActionWarn {
		// trust.expired: warn evaluates expired data as if it were current; the
		// problem still travels with the facts so the decision warns.
		ropts.AllowExpired = true
		if r, rerr := repo.Open(opts.TrustDir, gun, ropts); rerr == nil {
			return verified{repo: r, problem: &policy.TrustProblem{Kind: policy.TrustExpired, Reason: err.Error()}}
		}
	}
	if err != nil {
		if opts.Log != nil {
			opts.Log.Debug("trust data refused", "repository", gun, "error", err)
		}
		return verified{problem: &policy.TrustProblem{Kind: problemKind(err), Reason: err.Error()}}
	}
	for _, bad := range r.Invalid() {
		if opts.Log != nil {
			opts.Log.Warn("delegation refused", "repository", gun, "reason", bad.Error())
		}
	}
	return verified{repo: r}
}

// TrustPin is the root pin the policy sets for a repository, nil when none covers it.
// verify and fetch --policy both take it from here, so they pin alike.
func TrustPin(p *policy.Policy, gun string) *tuf.Pin {
	pin, ok := p.PinFor(gun)
	if !ok {
		return nil
	}
	return &tuf.Pin{CertIDs: pin.RootKeys, CAs: pin.CA}
}

func problemKind(err error) policy.TrustErrorKind {
	switch {
	case errors.Is(err, tuf.ErrNoTrustData):
		return policy.TrustMissing
	case errors.Is(err, tuf.ErrExpired):
		return policy.TrustExpired
	}
	return policy.TrustInvalid
}

// factsFor collects what the trust data says about one image use.
func factsFor(use stack.ImageUse, src policy.Source, v verified) policy.Facts {
	f := notaryFacts(use, src, v)
	if v.cosign != nil {
		f.Cosign = v.cosign.facts(f)
	}
	if v.evidence != nil {
		f.Evidence = v.evidence.facts(f)
	}
	return f
}

func notaryFacts(use stack.ImageUse, src policy.Source, v verified) policy.Facts {
	f := policy.Facts{Image: policy.ImageOf(reference.TagNameOnly(use.Named)), Source: src, Trust: v.problem}
	r := v.repo
	if r == nil {
		return f
	}
	img := f.Image
	if img.Tag != "" {
		t, err := r.Lookup(img.Tag)
		var shadowed *repo.ShadowedError
		switch {
		case err == nil:
			f.Release = &policy.Target{Tag: t.Name, Digest: t.Digest, Role: t.Role}
			if shadow := shadowingRole(r, img.Tag, t.Role); shadow != nil && f.Trust == nil {
				f.Trust = shadow
			}
		case errors.As(err, &shadowed):
			f.Shadowed = &policy.Target{Tag: img.Tag, Digest: shadowed.Digest, Role: shadowed.Role}
		case f.Trust != nil:
			// expired data evaluated under trust.expired: warn keeps that reason
		case r.Unusable() != nil:
			f.Trust = &policy.TrustProblem{Kind: problemKind(r.Unusable()), Reason: err.Error()}
		default:
			f.Trust = refusedRole(r, img.Tag)
		}
		f.Roles = roleSignatures(r, img.Tag, "")
		return f
	}
	if bad := r.Unusable(); bad != nil && f.Trust == nil {
		f.Trust = &policy.TrustProblem{Kind: problemKind(bad), Reason: bad.Error()}
		return f
	}
	for _, t := range r.FindDigest(img.Digest) {
		f.ReleasedTags = append(f.ReleasedTags, policy.Target{Tag: t.Name, Digest: t.Digest, Role: t.Role})
		f.Roles = append(f.Roles, roleSignatures(r, t.Name, img.Digest)...)
	}
	if len(f.ReleasedTags) == 0 && f.Trust == nil {
		f.Trust = refusedRole(r, "")
	}
	if f.Trust == nil {
		f.Trust = shadowingRole(r, "", "")
	}
	return f
}

// shadowingRole is the trust problem of a refused role that could hold tag ("" = any)
// ahead of where it was found: a role whose file is missing, hidden by the snapshot or
// rolled back may hold a newer record, and targets/releases comes before targets in
// docker's lookup. The found entry is then not the answer (issue: no hidden
// delegations); notary walks past such roles.
func shadowingRole(r *repo.Repo, tag, foundIn string) *policy.TrustProblem {
	for _, role := range r.Roles() {
		if role.Err == nil || tag != "" && !slices.ContainsFunc(role.Paths, func(p string) bool { return strings.HasPrefix(tag, p) }) {
			continue
		}
		unknown := errors.Is(role.Err, tuf.ErrNoTrustData) || errors.Is(role.Err, tuf.ErrRollback)
		if unknown || role.Name == repo.ReleasesRole && foundIn == tuf.RoleTargets {
			return &policy.TrustProblem{Kind: policy.TrustInvalid, Reason: role.Err.Error()}
		}
	}
	return nil
}

// refusedRole is the trust problem behind a tag that is not found, when a delegation
// that could hold it was refused: "not signed" would hide tampering or expiry.
func refusedRole(r *repo.Repo, tag string) *policy.TrustProblem {
	for _, role := range r.Roles() {
		if role.Err == nil || !slices.ContainsFunc(role.Paths, func(p string) bool { return strings.HasPrefix(tag, p) }) && tag != "" {
			continue
		}
		return &policy.TrustProblem{Kind: problemKind(role.Err), Reason: role.Err.Error()}
	}
	return nil
}

// roleSignatures lists the verified roles holding tag (with digest, when given), and
// the refused delegations, which count for no one.
func roleSignatures(r *repo.Repo, tag, digest string) []policy.RoleSignature {
	var out []policy.RoleSignature
	for _, h := range r.Holders(tag) {
		if digest != "" && h.Digest != digest {
			continue
		}
		out = append(out, policy.RoleSignature{Role: h.Role, Tag: tag, Digest: h.Digest, Verified: true, KeyIDs: h.SignedBy})
	}
	// Refused roles count for no one; their delegated keys tell which team a refusal
	// concerns.
	for _, role := range r.Roles() {
		if role.Err != nil {
			out = append(out, policy.RoleSignature{Role: role.Name, Tag: tag, Problem: role.Err.Error(), KeyIDs: role.KeyIDs})
		}
	}
	return out
}
