package gate

import (
	"errors"
	"os"
	"time"

	"github.com/distribution/reference"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// cosignRepo is the second source of signature facts of one repository: the cosign
// signatures fetch kept in the trust dir, verified here, offline, with the policy's
// keys. Each digest is verified once.
type cosignRepo struct {
	dir     store.Dir
	gun     string
	keys    []sigcache.Key
	tags    map[string]string
	problem string // the recorded tags could not be read
	byHash  map[string]cosignResult
}

type cosignResult struct {
	sigs    []sigcache.Signature
	problem string
}

func openCosign(dir store.Dir, gun string, p *policy.Policy) *cosignRepo {
	c := &cosignRepo{dir: dir, gun: gun, byHash: map[string]cosignResult{}}
	for _, k := range p.Keys() {
		c.keys = append(c.keys, sigcache.Key{IDs: k.IDs, Public: k.Public})
	}
	tags, err := sigcache.Tags(dir, gun)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		c.problem = err.Error()
	}
	c.tags = tags
	return c
}

func (c *cosignRepo) verified(digest string) cosignResult {
	if r, ok := c.byHash[digest]; ok {
		return r
	}
	var r cosignResult
	rec, err := sigcache.Load(c.dir, c.gun, digest)
	if err == nil {
		r.sigs, err = rec.Verified(c.keys)
	}
	if err != nil && !errors.Is(err, sigcache.ErrNotFetched) {
		r.problem = err.Error()
	}
	c.byHash[digest] = r
	return r
}

// facts are the cosign facts of an image whose Notary v1 facts are in f: the
// signatures over the pinned digest, the notary release and the registry's digest of
// the tag, each with what its signed name binds.
func (c *cosignRepo) facts(f policy.Facts) policy.CosignFacts {
	img := f.Image
	cf := policy.CosignFacts{Problem: c.problem}
	if img.Tag != "" {
		cf.TagDigest = c.tags[img.Tag]
	}
	var digests []string
	for _, d := range []string{img.Digest, cf.TagDigest} {
		if d != "" {
			digests = append(digests, d)
		}
	}
	if f.Release != nil {
		digests = append(digests, f.Release.Digest)
	}
	seen := map[string]bool{}
	for _, d := range digests {
		if seen[d] {
			continue
		}
		seen[d] = true
		r := c.verified(d)
		if r.problem != "" && cf.Problem == "" {
			cf.Problem = r.problem
		}
		for _, s := range r.sigs {
			cf.Signatures = append(cf.Signatures, policy.CosignSignature{
				Digest: d, Format: s.Format, KeyIDs: s.KeyIDs, Binding: binding(img, s.Reference), SignedFor: s.Reference,
			})
		}
	}
	return cf
}

// binding tells what a signed name says about img. Both are normalised as docker
// does (cosign writes index.docker.io/library/nginx for nginx).
func binding(img policy.Image, signed string) policy.Binding {
	if signed == "" {
		return policy.BindsRepository
	}
	named, err := reference.ParseNormalizedNamed(signed)
	if err != nil || named.Name() != img.Repo {
		return policy.BindsOther
	}
	if _, digested := named.(reference.Digested); digested {
		return policy.BindsOther
	}
	tagged, ok := named.(reference.Tagged)
	switch {
	case !ok:
		return policy.BindsRepository
	case img.Tag == "" || tagged.Tag() == img.Tag:
		return policy.BindsTag
	}
	return policy.BindsOther
}

// NotaryReleases are the digests docker's lookup resolves for tags of gun from the
// verified trust data in dir, with the policy's pin: fetch downloads the cosign
// signatures of these digests. A tag without a release is left out.
func NotaryReleases(dir store.Dir, gun string, tags []string, p *policy.Policy, now time.Time) map[string]string {
	out := map[string]string{}
	ropts := repo.Options{Now: now}
	if p != nil {
		ropts.Pin = TrustPin(p, gun)
	}
	r, err := repo.Open(dir, gun, ropts)
	if err != nil {
		return out
	}
	for _, tag := range tags {
		if t, err := r.Lookup(tag); err == nil {
			out[tag] = t.Digest
		}
	}
	return out
}
