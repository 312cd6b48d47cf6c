// Package sigcache keeps the cosign signatures of images in the trust dir, so that
// verify can check them offline: fetch downloads them (nothing is verified then) and
// the gate verifies them with the policy's keys.
//
// Layout, beside Notary v1's tuf/ folder (0700 folders, 0600 files, each file written
// atomically):
//
//	<trust dir>/cosign/<gun>/tags.json          {"tags":{"<tag>":"sha256:…"}}: the digest the registry served for each tag
//	<trust dir>/cosign/<gun>/sha256-<hex>.json  the signature artifacts of one image digest
//
// A digest's file holds, as received, the legacy signature manifest (tag
// sha256-<hex>.sig) with its layers, and every sigstore bundle referrer with its bundle
// layer. One file per digest means a reader sees all of a fetch or none of it.
package sigcache

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// Bounds of what one image digest may bring into the trust dir: a few signatures are
// a few kilobytes; a registry cannot fill the disk or the verifier's memory.
const (
	maxRecord    = 8 << 20 // all artifacts of one digest
	maxReferrers = 100     // bundle referrers kept per digest
	maxTagsFile  = 4 << 20
)

// Annotations trustctl's migration writes into a bundle's signed subject: a bundle
// names no docker-reference, so these bind it to a tag (docs/migrate.md).
const (
	AnnotationNotaryGUN = "dev.trustctl.notary.gun"
	AnnotationNotaryTag = "dev.trustctl.notary.tag"
)

// Artifact is a manifest and the blobs of it that are kept, by digest.
type Artifact struct {
	Manifest []byte            `json:"manifest"`
	Blobs    map[string][]byte `json:"blobs,omitempty"`
}

// Record is what the registry held about one image digest when fetch ran.
type Record struct {
	Digest string `json:"digest"`
	// Signatures is the legacy signature image, nil when the registry has none.
	Signatures *Artifact `json:"signatures,omitempty"`
	// Bundles are the sigstore bundle referrers, in the order the registry listed them.
	Bundles []Artifact `json:"bundles,omitempty"`
}

type tagsFile struct {
	Tags map[string]string `json:"tags"`
}

// Registry is what fetch needs of the registry client.
type Registry interface {
	Resolve(ctx context.Context, repo, ref string) (registry.Descriptor, error)
	Manifest(ctx context.Context, repo, ref string, limit int64, accept ...string) ([]byte, registry.Descriptor, error)
	Blob(ctx context.Context, repo string, d registry.Descriptor) ([]byte, error)
	ReferrersIndex(ctx context.Context, repo, digest string) (index []byte, api bool, err error)
}

func dir(d store.Dir, gun string) (string, error) {
	// MetadataDir refuses a name that would leave the trust dir.
	if _, err := d.MetadataDir(gun); err != nil {
		return "", err
	}
	return filepath.Join(d.Root, "cosign", filepath.FromSlash(gun)), nil
}

func recordPath(d store.Dir, gun, digest string) (string, error) {
	base, err := dir(d, gun)
	if err != nil {
		return "", err
	}
	tag, err := cosign.ReferrersTag(digest)
	if err != nil {
		return "", err
	}
	return filepath.Join(base, tag+".json"), nil
}

// ResolveTags asks the registry for the digest of each tag of repo (the repository
// path on the registry) and records them under gun, keeping tags recorded before.
func ResolveTags(ctx context.Context, d store.Dir, gun string, reg Registry, repo string, tags []string) (map[string]string, error) {
	got, err := resolveTags(ctx, gun, reg, repo, tags)
	if err != nil {
		return nil, err
	}
	return got, recordTags(d, gun, got)
}

func resolveTags(ctx context.Context, gun string, reg Registry, repo string, tags []string) (map[string]string, error) {
	got := map[string]string{}
	for _, tag := range tags {
		desc, err := reg.Resolve(ctx, repo, tag)
		if err != nil {
			return nil, fmt.Errorf("digest of %s:%s: %w", gun, tag, err)
		}
		got[tag] = desc.Digest
	}
	return got, nil
}

// recordTags merges got into the tags recorded for gun.
func recordTags(d store.Dir, gun string, got map[string]string) error {
	// Read, merge and write under the trust dir's lock: another fetch may record other
	// tags of the same repository at the same time.
	unlock, err := d.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := Tags(d, gun)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, got)
	b, err := json.Marshal(tagsFile{Tags: all})
	if err != nil {
		return err
	}
	base, err := dir(d, gun)
	if err != nil {
		return err
	}
	if err := store.WriteFileAtomic(filepath.Join(base, "tags.json"), b); err != nil {
		return fmt.Errorf("record tags of %s: %w", gun, err)
	}
	return nil
}

// Tags are the tag digests recorded for gun; os.ErrNotExist when none were.
func Tags(d store.Dir, gun string) (map[string]string, error) {
	base, err := dir(d, gun)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(base, "tags.json")
	b, err := store.ReadFileLimit(path, maxTagsFile)
	if err != nil {
		return nil, err
	}
	var tf tagsFile
	if err := json.Unmarshal(b, &tf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for tag, digest := range tf.Tags {
		if _, err := cosign.ReferrersTag(digest); err != nil {
			return nil, fmt.Errorf("%s: tag %q: %w", path, tag, err)
		}
	}
	return tf.Tags, nil
}

// Fetch downloads the cosign signature artifacts of digest in repo and writes them
// under gun. Nothing is verified: verify does that offline, with the policy's keys.
// An image without signatures gets a record saying so, which verify tells apart from
// an image never fetched.
func Fetch(ctx context.Context, d store.Dir, gun string, reg Registry, repo, digest string) (Record, error) {
	path, err := recordPath(d, gun, digest)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Digest: digest}
	budget := int64(maxRecord)
	take := func(n int64) error {
		if budget -= n; budget < 0 {
			return fmt.Errorf("cosign signatures of %s@%s: more than %d bytes", gun, digest, maxRecord)
		}
		return nil
	}
	sigTag, _ := cosign.SignatureTag(digest)
	manifest, _, err := reg.Manifest(ctx, repo, sigTag, registry.MaxManifest, cosign.MediaTypeOCIManifest)
	switch {
	case errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return Record{}, fmt.Errorf("signatures of %s@%s: %w", gun, digest, err)
	default:
		a, err := fetchArtifact(ctx, reg, repo, manifest, take, cosign.MaxPayload, func(m cosign.Manifest) []cosign.Descriptor { return m.Layers })
		if err != nil {
			return Record{}, fmt.Errorf("signature image %s:%s: %w", gun, sigTag, err)
		}
		rec.Signatures = &a
	}
	index, _, err := reg.ReferrersIndex(ctx, repo, digest)
	switch {
	case errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return Record{}, fmt.Errorf("referrers of %s@%s: %w", gun, digest, err)
	default:
		idx, err := cosign.ParseIndex(index)
		if err != nil {
			return Record{}, fmt.Errorf("referrers of %s@%s: %w", gun, digest, err)
		}
		for _, m := range idx.Manifests {
			if m.ArtifactType != cosign.MediaTypeBundle {
				continue
			}
			if len(rec.Bundles) == maxReferrers {
				return Record{}, fmt.Errorf("referrers of %s@%s: more than %d bundles", gun, digest, maxReferrers)
			}
			if err := take(m.Size); err != nil {
				return Record{}, err
			}
			b, _, err := reg.Manifest(ctx, repo, m.Digest, registry.MaxManifest, cosign.MediaTypeOCIManifest)
			if err != nil {
				return Record{}, fmt.Errorf("bundle referrer %s of %s: %w", m.Digest, gun, err)
			}
			a, err := fetchArtifact(ctx, reg, repo, b, take, cosign.MaxPayload, func(cosign.Manifest) []cosign.Descriptor {
				layer, ok, _ := cosign.BundleLayer(b)
				if !ok {
					return nil
				}
				return []cosign.Descriptor{layer}
			})
			if err != nil {
				return Record{}, fmt.Errorf("bundle referrer %s of %s: %w", m.Digest, gun, err)
			}
			rec.Bundles = append(rec.Bundles, a)
		}
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return Record{}, err
	}
	if err := store.WriteFileAtomic(path, out); err != nil {
		return Record{}, fmt.Errorf("write cosign signatures of %s@%s: %w", gun, digest, err)
	}
	return rec, nil
}

// fetchArtifact keeps a manifest and the blobs of it that blobs selects, each within
// the budget and checked against its digest by the registry client.
func fetchArtifact(ctx context.Context, reg Registry, repo string, manifest []byte, take func(int64) error, maxBlob int64, blobs func(cosign.Manifest) []cosign.Descriptor) (Artifact, error) {
	if err := take(int64(len(manifest))); err != nil {
		return Artifact{}, err
	}
	m, err := cosign.ParseManifest(manifest)
	if err != nil {
		return Artifact{}, err
	}
	// The sizes the manifest states are checked against the budget before anything is
	// downloaded; each download is then held to its stated size.
	wanted := map[string]cosign.Descriptor{}
	var total int64
	for _, l := range blobs(m) {
		if _, ok := wanted[l.Digest]; ok {
			continue
		}
		if l.Size > maxBlob {
			return Artifact{}, fmt.Errorf("layer %s: %d bytes, at most %d", l.Digest, l.Size, maxBlob)
		}
		wanted[l.Digest] = l
		total += l.Size
	}
	if err := take(total); err != nil {
		return Artifact{}, err
	}
	a := Artifact{Manifest: manifest, Blobs: map[string][]byte{}}
	for _, l := range blobs(m) {
		if _, ok := a.Blobs[l.Digest]; ok {
			continue
		}
		b, err := reg.Blob(ctx, repo, registry.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size})
		if err != nil {
			return Artifact{}, err
		}
		a.Blobs[l.Digest] = b
	}
	return a, nil
}

// ErrNotFetched: the trust dir holds no cosign record of the digest.
var ErrNotFetched = errors.New("cosign signatures not fetched")

// Load reads the record of digest under gun; ErrNotFetched when there is none.
func Load(d store.Dir, gun, digest string) (Record, error) {
	path, err := recordPath(d, gun, digest)
	if err != nil {
		return Record{}, err
	}
	b, err := store.ReadFileLimit(path, 2*maxRecord) // base64 of at most maxRecord bytes
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, fmt.Errorf("%s@%s: %w", gun, digest, ErrNotFetched)
	}
	if err != nil {
		return Record{}, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Digest != digest {
		return Record{}, fmt.Errorf("%s: holds the signatures of %s", path, rec.Digest)
	}
	return rec, nil
}

// Key is a public key to verify with, and its IDs.
type Key struct {
	IDs    []string
	Public crypto.PublicKey
}

// Signature is a signature of the record that keys verified.
type Signature struct {
	Format string   // legacy or bundle
	KeyIDs []string // the IDs of every key that verifies it, sorted
	// Reference is the signed name: the legacy payload's docker-reference, or
	// <gun>:<tag> from a bundle's trustctl annotations; "" when it names none.
	Reference string
}

// Verified checks every signature of the record with every key and returns those that
// verify over the record's digest, legacy ones first, in the stored order. Signatures
// no key verifies are not errors: anyone may push one. A record whose artifacts do not
// decode is an error.
func (rec Record) Verified(keys []Key) ([]Signature, error) {
	var out []Signature
	if a := rec.Signatures; a != nil {
		img, err := cosign.DecodeSignatureImage(a.Manifest, func(l cosign.Descriptor) ([]byte, error) {
			b, ok := a.Blobs[l.Digest]
			if !ok {
				return nil, fmt.Errorf("blob %s was not fetched", l.Digest)
			}
			return b, nil
		})
		if err != nil {
			return nil, fmt.Errorf("signature image of %s: %w", rec.Digest, err)
		}
		for _, s := range img.Signatures {
			var sig Signature
			for _, k := range keys {
				p, err := s.Verify(k.Public, rec.Digest)
				if err != nil {
					continue
				}
				sig.Format, sig.Reference = "legacy", p.DockerReference
				sig.KeyIDs = append(sig.KeyIDs, k.IDs...)
			}
			if sig.Format != "" {
				out = append(out, sig.sorted())
			}
		}
	}
	for i, a := range rec.Bundles {
		layer, ok, err := cosign.BundleLayer(a.Manifest)
		if err != nil || !ok {
			return nil, fmt.Errorf("bundle referrer %d of %s: not a sigstore bundle referrer (%v)", i, rec.Digest, err)
		}
		b, ok := a.Blobs[layer.Digest]
		if !ok || cosign.Digest(b) != layer.Digest {
			return nil, fmt.Errorf("bundle referrer %d of %s: bundle %s missing or altered", i, rec.Digest, layer.Digest)
		}
		var sig Signature
		for _, k := range keys {
			st, err := cosign.VerifyBundle(b, k.Public, rec.Digest)
			if err != nil {
				continue
			}
			sig.Format = "bundle"
			if gun, tag := st.Annotations[AnnotationNotaryGUN], st.Annotations[AnnotationNotaryTag]; gun != "" && tag != "" {
				sig.Reference = gun + ":" + tag
			}
			sig.KeyIDs = append(sig.KeyIDs, k.IDs...)
		}
		if sig.Format != "" {
			out = append(out, sig.sorted())
		}
	}
	return out, nil
}

func (s Signature) sorted() Signature {
	slices.Sort(s.KeyIDs)
	s.KeyIDs = slices.Compact(s.KeyIDs)
	return s
}

// Request is what fetch downloads for one repository.
type Request struct {
	GUN  string
	Repo string // the repository's path on its registry
	// Tags are the tags in use: the digest the registry serves for each is recorded,
	// and its signatures downloaded.
	Tags []string
	// Digests are more digests whose signatures are downloaded: the Notary v1 releases
	// of the tags and digests pinned in references.
	Digests []string
}

// Fetched counts what FetchRepository kept.
type Fetched struct {
	Digests, Signatures, Bundles int
}

// FetchRepository records the registry's digest of each tag and downloads the
// signatures of those digests and of req.Digests, each digest once, in sorted order.
func FetchRepository(ctx context.Context, d store.Dir, reg Registry, req Request) (Fetched, error) {
	var n Fetched
	tags, err := ResolveTags(ctx, d, req.GUN, reg, req.Repo, req.Tags)
	if err != nil {
		return n, err
	}
	digests := slices.Concat(req.Digests, slices.Collect(maps.Values(tags)))
	slices.Sort(digests)
	for _, digest := range slices.Compact(digests) {
		rec, err := Fetch(ctx, d, req.GUN, reg, req.Repo, digest)
		if err != nil {
			return n, err
		}
		n.Digests++
		if rec.Signatures != nil {
			m, err := cosign.ParseManifest(rec.Signatures.Manifest)
			if err == nil {
				n.Signatures += len(m.Layers)
			}
		}
		n.Bundles += len(rec.Bundles)
	}
	return n, nil
}
