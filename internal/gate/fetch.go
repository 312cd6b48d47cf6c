package gate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/distribution/reference"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// ImageRef is an image reference in use: a repository with a tag, a digest, both or
// neither.
type ImageRef struct {
	GUN, Tag, Digest string
}

// Progress counts the repositories fetched.
type Progress interface {
	Increment()
	Done()
}

// FetchOptions are the inputs of Fetch.
type FetchOptions struct {
	// Refs are the references given on the command line; Files the compose or stack
	// files whose images are fetched too.
	Refs  []ImageRef
	Files []string
	// Policy, when set, pins each root with its trust.pins and adds its trust.sources;
	// otherwise Pin (from --root-key/--root-ca) pins every root.
	Policy *policy.Policy
	Pin    *tuf.Pin
	// Now is the time expiry is judged at; zero means the clock.
	Now time.Time
	// Timeout bounds the whole fetch; Timeout is named in the error when it is reached.
	Timeout          time.Duration
	Cosign, Evidence bool
	TrustDir         store.Dir
	// Repo opens a repository's trust data on its notary server.
	Repo func(gun string, opts client.Options) (*client.Repository, error)
	// Registry returns the client of a repository's registry and its name there.
	Registry func(gun string) (*registry.Client, string, error)
	// Progress starts counting n repositories.
	Progress func(what string, n int) Progress
	Log      *slog.Logger
	// Out receives a line per repository and source fetched.
	Out io.Writer
}

// Fetch downloads and verifies the Notary v1 trust data of the repositories in use
// into the trust dir, and with Cosign or Evidence their cosign signatures or evidence
// artifacts. Each repository is fetched once; the error joins one error per
// repository that failed.
func Fetch(ctx context.Context, o FetchOptions) error {
	var guns []string
	refs := slices.Clone(o.Refs)
	for _, r := range o.Refs {
		guns = append(guns, r.GUN)
	}
	if len(o.Files) > 0 {
		uses, err := stack.Load(ctx, o.Files, stack.Options{})
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
	pol := o.Policy
	withCosign := o.Cosign || pol != nil && pol.Sources().Cosign
	withEvidence := o.Evidence || pol != nil && pol.Sources().Evidence
	if len(guns) == 0 {
		return ErrNoRepositories
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
		copts := client.Options{Now: o.Now, Pin: o.Pin}
		if pol != nil {
			copts.Pin = TrustPin(pol, gun)
		}
		var err error
		if repos[i], err = o.Repo(gun, copts); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	metas, errs := make([]*tuf.Repository, len(guns)), make([]error, len(guns))
	if withNotary {
		bar := o.Progress("fetching repositories", len(repos))
		metas, errs = client.FetchAll(ctx, repos, bar.Increment)
		bar.Done()
	}
	for i, gun := range guns {
		meta := metas[i]
		// An image that only cosign signed, or whose notary server has forgotten it, has no
		// Notary v1 data.
		cosignOnly := (withCosign || withEvidence) && errors.Is(errs[i], client.ErrNotInitialized)
		if cosignOnly {
			o.Log.Warn("no Notary v1 trust data; fetching "+otherSources(withCosign, withEvidence)+" only", "repository", gun)
			errs[i] = nil
		}
		if errs[i] != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: not done within --timeout %s: %w", gun, o.Timeout, errs[i]))
				continue
			}
			errs[i] = fmt.Errorf("fetch %s: %w", gun, errs[i])
			continue
		}
		if withNotary && !cosignOnly {
			if meta.TrustOnFirstUse {
				o.Log.Warn("root not pinned: trusted as first seen (pin it with --policy and `trustctl policy pin`)", "repository", gun)
			}
			for _, bad := range meta.Invalid {
				o.Log.Warn("delegation refused", "repository", gun, "reason", bad.Error())
			}
			report.Fetched(o.Out, gun, meta)
		}
		if withCosign {
			if err := fetchCosign(ctx, o, gun, refs); err != nil {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: cosign signatures: %w", gun, err))
				continue
			}
		}
		if withEvidence {
			if err := fetchEvidence(ctx, o, gun, refs); err != nil {
				errs[i] = exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("fetch %s: evidence: %w", gun, err))
			}
		}
	}
	return errors.Join(errs...)
}

func imageRefOf(named reference.Named) ImageRef {
	ref := ImageRef{GUN: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		ref.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		ref.Digest = d.Digest().String()
	}
	return ref
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
func fetchCosign(ctx context.Context, o FetchOptions, gun string, refs []ImageRef) error {
	reg, req, err := digestsInUse(o, gun, refs)
	if err != nil {
		return err
	}
	n, err := sigcache.FetchRepository(ctx, o.TrustDir, reg, req)
	if err != nil {
		return err
	}
	report.FetchedCosign(o.Out, gun, n)
	return nil
}

// fetchEvidence downloads the evidence artifacts of the same digests; verify
// re-verifies them offline.
func fetchEvidence(ctx context.Context, o FetchOptions, gun string, refs []ImageRef) error {
	reg, req, err := digestsInUse(o, gun, refs)
	if err != nil {
		return err
	}
	digests, artifacts, err := sigcache.FetchEvidence(ctx, o.TrustDir, reg, req, migrate.ArtifactTypeEvidence)
	if err != nil {
		return err
	}
	report.FetchedEvidence(o.Out, gun, digests, artifacts)
	return nil
}

// digestsInUse are gun's references in use, for the registry: the tags (whose digests
// the registry serves), the pinned digests and the digests Notary v1 releases for the
// tags in the trust dir.
func digestsInUse(o FetchOptions, gun string, refs []ImageRef) (*registry.Client, sigcache.Request, error) {
	req := sigcache.Request{GUN: gun}
	for _, r := range refs {
		if r.GUN != gun {
			continue
		}
		if r.Tag != "" {
			req.Tags = append(req.Tags, r.Tag)
		}
		if r.Digest != "" {
			req.Digests = append(req.Digests, r.Digest)
		}
	}
	slices.Sort(req.Tags)
	req.Tags = slices.Compact(req.Tags)
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	for _, d := range NotaryReleases(o.TrustDir, gun, req.Tags, o.Policy, now) {
		req.Digests = append(req.Digests, d)
	}
	reg, repo, err := o.Registry(gun)
	if err != nil {
		return nil, req, err
	}
	req.Repo = repo
	return reg, req, nil
}
