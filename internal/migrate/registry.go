package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
)

// checkRegistry HEADs each digest's manifest, skipping tags whose manifest is gone or
// differs from the signed length, and marks the claims whose signature is already
// there. It returns the claims grouped by digest in the order of claims, each group
// with what remains to write (todo).
func (p *planner) checkRegistry(ctx context.Context, gun string, claims []*claim) ([]*digestPlan, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	reg, name, err := p.opts.Registry(gun)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	index := map[string]int{} // digest → plan
	var plans []*digestPlan
	var all [][]*claim // claims per plan, before the registry is asked
	for _, c := range claims {
		i, ok := index[c.payload.Digest]
		if !ok {
			i = len(plans)
			index[c.payload.Digest] = i
			plans = append(plans, &digestPlan{gun: gun, name: name, reg: reg, subject: registry.Descriptor{Digest: c.payload.Digest}})
			all = append(all, nil)
		}
		all[i] = append(all[i], c)
	}
	warnings := make([]bool, len(plans))
	errs := parallel(len(plans), func(i int) error {
		var err error
		warnings[i], err = p.checkDigest(ctx, plans[i], all[i])
		return err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	var out []*digestPlan
	for i, dp := range plans {
		if warnings[i] {
			// cosign v3 verifies only bundles on an image that has any (docs/migrate.md,
			// "Why both formats"): legacy signatures alone would not be seen there.
			p.opts.Log.Warn("the image has sigstore bundles, so cosign v3 ignores its legacy signatures: migrate with --format bundle too",
				"image", gun+"@"+dp.subject.Digest)
		}
		if len(dp.claims) > 0 {
			out = append(out, dp)
		}
	}
	return out, nil
}

// checkDigest HEADs dp's manifest and sorts claims into skipped, present and to write;
// it tells whether a legacy migration should warn about bundles on the image.
func (p *planner) checkDigest(ctx context.Context, dp *digestPlan, claims []*claim) (bool, error) {
	digest := dp.subject.Digest
	d, err := dp.reg.Head(ctx, dp.name, digest)
	if errors.Is(err, registry.ErrNotFound) {
		for _, c := range claims {
			c.item.Outcome, c.item.Reason = Skipped, "manifest gone from the registry"
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if d.Digest != digest {
		return false, fmt.Errorf("the registry answered %s for manifest %s", d.Digest, digest)
	}
	dp.subject = d
	for _, c := range claims {
		if length := c.payload.Optional[KeyTargetLength]; length != fmt.Sprint(d.Size) {
			c.item.Outcome = Skipped
			c.item.Reason = fmt.Sprintf("the registry's manifest has %d bytes, the role signed %s", d.Size, length)
			continue
		}
		dp.claims = append(dp.claims, c)
	}
	if len(dp.claims) == 0 {
		return false, nil
	}
	present, err := p.present(ctx, dp)
	if err != nil {
		return false, err
	}
	for i, c := range dp.claims {
		if present[i] {
			c.item.Outcome = Present
			continue
		}
		c.item.Outcome = WouldMigrate
		dp.todo = append(dp.todo, c)
	}
	if p.opts.Format != Legacy {
		return false, nil
	}
	bundles, err := readBundles(ctx, dp)
	return err == nil && len(bundles) > 0, nil
}

// workers bounds the requests a run has in flight, as fetch does.
const workers = 8

// parallel runs f(0…n-1) on at most workers goroutines and returns the errors by index.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errs
}

// present tells, per claim, whether its signature is already in the registry: a
// signature that the key verifies over the digest, for the same tag and role (the
// legacy docker-reference, or the bundle's tag annotation; the role annotation). Each
// role that held a tag keeps its own record, even when one key signs for both.
func (p *planner) present(ctx context.Context, dp *digestPlan) ([]bool, error) {
	out := make([]bool, len(dp.claims))
	switch p.opts.Format {
	case Bundle:
		bundles, err := readBundles(ctx, dp)
		if err != nil {
			return nil, err
		}
		for i, c := range dp.claims {
			out[i] = hasBundle(bundles, c)
		}
	default:
		img, err := readSignatureImage(ctx, dp)
		if err != nil {
			return nil, err
		}
		for i, c := range dp.claims {
			out[i] = hasSignature(img, c)
		}
	}
	return out, nil
}

func hasSignature(img cosign.SignatureImage, c *claim) bool {
	payloads, err := img.Verified(c.key.pub, c.payload.Digest)
	return err == nil && slices.ContainsFunc(payloads, func(pl cosign.Payload) bool {
		return pl.DockerReference == c.payload.DockerReference && pl.Optional[KeyRole] == c.role
	})
}

func hasBundle(bundles [][]byte, c *claim) bool {
	return slices.ContainsFunc(bundles, func(b []byte) bool {
		st, err := cosign.VerifyBundle(b, c.key.pub, c.payload.Digest)
		return err == nil && st.Annotations[KeyTag] == c.tag && st.Annotations[KeyRole] == c.role
	})
}

// readSignatureImage reads the legacy signature image of dp's digest (empty when there
// is none).
func readSignatureImage(ctx context.Context, dp *digestPlan) (cosign.SignatureImage, error) {
	tag, err := cosign.SignatureTag(dp.subject.Digest)
	if err != nil {
		return cosign.SignatureImage{}, err
	}
	m, _, err := dp.reg.Manifest(ctx, dp.name, tag, registry.MaxManifest, cosign.MediaTypeOCIManifest, "application/vnd.docker.distribution.manifest.v2+json")
	if errors.Is(err, registry.ErrNotFound) {
		return cosign.SignatureImage{}, nil
	}
	if err != nil {
		return cosign.SignatureImage{}, err
	}
	img, err := cosign.DecodeSignatureImage(m, func(d cosign.Descriptor) ([]byte, error) {
		return dp.reg.Blob(ctx, dp.name, registry.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
	})
	if err != nil {
		return cosign.SignatureImage{}, fmt.Errorf("signature image %s:%s: %w", dp.name, tag, err)
	}
	return img, nil
}

// referrers lists the manifests referring to dp's digest, from the referrers API or,
// when the registry has none, from the fallback index (whose bytes are returned for
// the write; nil when the tag does not exist).
func referrers(ctx context.Context, dp *digestPlan) (list []cosign.Descriptor, fallback []byte, api bool, err error) {
	body, api, err := dp.reg.ReferrersIndex(ctx, dp.name, dp.subject.Digest)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	idx, err := cosign.ParseIndex(body)
	if err != nil {
		return nil, nil, false, fmt.Errorf("referrers of %s: %w", dp.subject.Digest, err)
	}
	if api {
		return idx.Manifests, nil, true, nil
	}
	return idx.Manifests, body, false, nil
}

// readBundles returns the contents of the sigstore bundles referring to dp's digest.
func readBundles(ctx context.Context, dp *digestPlan) ([][]byte, error) {
	list, _, _, err := referrers(ctx, dp)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, d := range list {
		if d.ArtifactType != "" && d.ArtifactType != cosign.MediaTypeBundle {
			continue
		}
		m, _, err := dp.reg.Manifest(ctx, dp.name, d.Digest, registry.MaxManifest, cosign.MediaTypeOCIManifest)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: %w", d.Digest, err)
		}
		layer, ok, err := cosign.BundleLayer(m)
		if err != nil || !ok {
			continue // another artifact, or one no verifier would read: not ours
		}
		b, err := dp.reg.Blob(ctx, dp.name, registry.Descriptor{MediaType: layer.MediaType, Digest: layer.Digest, Size: layer.Size})
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", layer.Digest, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// write signs dp's claims and pushes them: blobs first, the manifest that makes them
// visible last.
func (p *planner) write(ctx context.Context, dp *digestPlan) error {
	if p.opts.Format == Bundle {
		return p.writeBundles(ctx, dp)
	}
	// Read again right before the put: a signature added since the plan is kept.
	img, err := readSignatureImage(ctx, dp)
	if err != nil {
		return err
	}
	added := false
	for _, c := range dp.todo {
		if hasSignature(img, c) {
			continue
		}
		sig, err := cosign.NewSignature(p.signers[c.key.id], c.payload)
		if err != nil {
			return fmt.Errorf("sign %s:%s: %w", dp.gun, c.tag, err)
		}
		img.Signatures = append(img.Signatures, sig)
		added = true
	}
	if !added {
		return nil
	}
	a, err := img.Encode()
	if err != nil {
		return err
	}
	tag, err := cosign.SignatureTag(dp.subject.Digest)
	if err != nil {
		return err
	}
	if err := push(ctx, dp, tag, a); err != nil {
		return err
	}
	// Read, add, put is not atomic in the distribution API: another writer of the tag
	// (cosign, another migrate) may have replaced it meanwhile. Read it back.
	if img, err = readSignatureImage(ctx, dp); err != nil {
		return err
	}
	for _, c := range dp.claims {
		if !hasSignature(img, c) {
			return fmt.Errorf("push %s: %s:%s lacks the signature of %s:%s after the put (another writer replaced it?)", dp.gun, dp.name, tag, c.tag, c.role)
		}
	}
	return nil
}

func push(ctx context.Context, dp *digestPlan, ref string, a cosign.Artifact) error {
	for _, b := range a.Blobs {
		if err := dp.reg.PushBlob(ctx, dp.name, b.Data); err != nil {
			return fmt.Errorf("push %s: %w", dp.gun, err)
		}
	}
	if _, err := dp.reg.PutManifest(ctx, dp.name, ref, a.Descriptor.MediaType, a.Manifest); err != nil {
		return fmt.Errorf("push %s: %w", dp.gun, err)
	}
	return nil
}

// writeBundles pushes one bundle referrer per claim to write.
func (p *planner) writeBundles(ctx context.Context, dp *digestPlan) error {
	subject := cosign.Descriptor{MediaType: dp.subject.MediaType, Size: dp.subject.Size, Digest: dp.subject.Digest}
	var artifacts []cosign.Artifact
	for _, c := range dp.todo {
		b, err := cosign.NewBundle(p.signers[c.key.id], cosign.Statement{Digest: c.payload.Digest, Annotations: c.payload.Optional})
		if err != nil {
			return fmt.Errorf("sign %s:%s: %w", dp.gun, c.tag, err)
		}
		a, err := cosign.BundleReferrer(b, subject, p.opts.Now)
		if err != nil {
			return err
		}
		artifacts = append(artifacts, a)
	}
	return addReferrers(ctx, dp, artifacts)
}

// addReferrers pushes artifacts whose subject is dp's image, each by its digest, then,
// on a registry without the referrers API, lists them all in the fallback index with
// one put, and reads the index back.
func addReferrers(ctx context.Context, dp *digestPlan, artifacts []cosign.Artifact) error {
	_, fallback, api, err := referrers(ctx, dp)
	if err != nil {
		return err
	}
	for _, a := range artifacts {
		if err := push(ctx, dp, a.Descriptor.Digest, a); err != nil {
			return err
		}
	}
	if api {
		return nil
	}
	idx := fallback
	for _, a := range artifacts {
		if idx, _, err = cosign.WithReferrer(idx, a.Descriptor); err != nil {
			return err
		}
	}
	tag, err := cosign.ReferrersTag(dp.subject.Digest)
	if err != nil {
		return err
	}
	if _, err := dp.reg.PutManifest(ctx, dp.name, tag, cosign.MediaTypeOCIIndex, idx); err != nil {
		return fmt.Errorf("push %s: %w", dp.gun, err)
	}
	// As for the signature image: read the index back, another writer may have won.
	list, _, _, err := referrers(ctx, dp)
	if err != nil {
		return err
	}
	for _, a := range artifacts {
		if !slices.ContainsFunc(list, func(l cosign.Descriptor) bool { return l.Digest == a.Descriptor.Digest }) {
			return fmt.Errorf("push %s: %s:%s does not list referrer %s after the put (another writer replaced it?)", dp.gun, dp.name, tag, a.Descriptor.Digest)
		}
	}
	return nil
}
