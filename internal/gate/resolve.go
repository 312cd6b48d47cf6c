package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/distribution/reference"

	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
)

// dockerPull is the policy of `docker pull` with DOCKER_CONTENT_TRUST=1: the tag must be
// signed as docker's lookup finds it; a root is trusted on first use, as docker does.
const dockerPull = "version: 1\ntrust: {on_unpinned: warn}\ndefault: {require: signed}\n"

// Resolve decides, for each image reference, what DCT's docker pull would pull, from
// the trust dir: the release docker's lookup accepts and, when opts.Policy is set, a
// pass of that policy too. Each repository is verified once. The error is for a
// reference that does not parse.
func Resolve(ctx context.Context, opts Options, images []string) ([]pin.Resolved, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	docker, err := policy.Parse("docker pull", []byte(dockerPull))
	if err != nil {
		return nil, err
	}
	pol := opts.Policy
	if pol == nil {
		opts.Policy = docker
	}
	byRepo := make(map[string]verified)
	out := make([]pin.Resolved, 0, len(images))
	for _, image := range images {
		named, err := reference.ParseNormalizedNamed(image)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", image, err)
		}
		gun := named.Name()
		v, ok := byRepo[gun]
		if !ok {
			v = verifyRepository(ctx, opts, gun, now)
			byRepo[gun] = v
		}
		facts := factsFor(stack.ImageUse{Image: image, Named: reference.TagNameOnly(named)}, policy.Source{}, v)
		d := docker.Evaluate(facts, now)
		signers := d.SignedBy
		ref, pulled := pin.Reference(d)
		switch {
		case pulled && pol != nil:
			// docker's release is what is pulled; the policy only says whether it may be.
			d = pol.Evaluate(facts, now)
			if d.Result != policy.Pass && d.Result != policy.Warn && d.Result != policy.Exception {
				ref = ""
			}
		case pol != nil && pol.Sources().Cosign:
			// No Notary v1 release: a digest the policy passes on cosign signatures is
			// what a pinned deploy pulls.
			d = pol.Evaluate(facts, now)
			ref, _ = pin.Reference(d)
			signers = d.SignedBy
		}
		out = append(out, resolved(image, ref, signers, d, facts, v))
	}
	return out, nil
}

// resolved adds the release role, the roles that signed the digest and the earliest
// expiry of the data behind it.
func resolved(image, ref string, signers []string, d policy.Decision, f policy.Facts, v verified) pin.Resolved {
	res := pin.Resolved{Image: image, Reference: ref, Decision: d}
	if ref == "" || f.Release == nil || v.repo == nil {
		return res
	}
	res.Signers = signers
	res.Role = f.Release.Role
	for _, role := range v.repo.Roles() {
		switch role.Name {
		case "root", "timestamp", "snapshot", "targets", f.Release.Role:
			if res.Expires.IsZero() || role.Expires.Before(res.Expires) {
				res.Expires = role.Expires
			}
		}
	}
	return res
}
