package sigcache

import (
	"context"
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

// Evidence artifacts (trustctl migrate --evidence: the exact Notary v1 files of an
// image, attached as a referrer) are kept beside the cosign signatures, one file per
// image digest:
//
//	<trust dir>/evidence/<gun>/sha256-<hex>.json  every evidence referrer of the digest
//
// and the tags' digests in cosign/<gun>/tags.json, shared with the cosign records.
const (
	// maxEvidenceRecord bounds all evidence of one digest: Notary v1 files are at most
	// a few megabytes for large repositories.
	maxEvidenceRecord = 64 << 20
	// maxEvidenceFile bounds one file, as migrate bounds the metadata it reads.
	maxEvidenceFile = 32 << 20
	// maxEvidenceArtifacts bounds the evidence referrers kept per digest: one a run of
	// migrate that added claims.
	maxEvidenceArtifacts = 32
)

// EvidenceRecord is what the registry held as evidence about one image digest when
// fetch ran: every referrer of the evidence artifact type, manifest and layers, as
// received. Nothing in it is verified.
type EvidenceRecord struct {
	Digest    string     `json:"digest"`
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// EvidencePath is the file holding the evidence of digest under gun.
func EvidencePath(d store.Dir, gun, digest string) (string, error) {
	if _, err := d.MetadataDir(gun); err != nil {
		return "", err
	}
	tag, err := cosign.ReferrersTag(digest)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.Root, "evidence", filepath.FromSlash(gun), tag+".json"), nil
}

// fetchEvidence downloads the referrers of digest whose artifact type is artifactType,
// within the bounds; nothing is written.
func fetchEvidence(ctx context.Context, gun string, reg Registry, repo, digest, artifactType string) (EvidenceRecord, error) {
	rec := EvidenceRecord{Digest: digest}
	budget := int64(maxEvidenceRecord)
	take := func(n int64) error {
		if budget -= n; budget < 0 {
			return fmt.Errorf("evidence of %s@%s: more than %d bytes", gun, digest, maxEvidenceRecord)
		}
		return nil
	}
	index, _, err := reg.ReferrersIndex(ctx, repo, digest)
	if errors.Is(err, registry.ErrNotFound) {
		return rec, nil
	}
	if err != nil {
		return EvidenceRecord{}, fmt.Errorf("referrers of %s@%s: %w", gun, digest, err)
	}
	idx, err := cosign.ParseIndex(index)
	if err != nil {
		return EvidenceRecord{}, fmt.Errorf("referrers of %s@%s: %w", gun, digest, err)
	}
	for _, m := range idx.Manifests {
		if m.ArtifactType != artifactType {
			continue
		}
		if len(rec.Artifacts) == maxEvidenceArtifacts {
			return EvidenceRecord{}, fmt.Errorf("referrers of %s@%s: more than %d evidence artifacts", gun, digest, maxEvidenceArtifacts)
		}
		if err := take(m.Size); err != nil {
			return EvidenceRecord{}, err
		}
		b, _, err := reg.Manifest(ctx, repo, m.Digest, registry.MaxManifest, cosign.MediaTypeOCIManifest)
		if err != nil {
			return EvidenceRecord{}, fmt.Errorf("evidence %s of %s: %w", m.Digest, gun, err)
		}
		a, err := fetchArtifact(ctx, reg, repo, b, take, maxEvidenceFile, func(m cosign.Manifest) []cosign.Descriptor { return m.Layers })
		if err != nil {
			return EvidenceRecord{}, fmt.Errorf("evidence %s of %s: %w", m.Digest, gun, err)
		}
		rec.Artifacts = append(rec.Artifacts, a)
	}
	return rec, nil
}

// FetchEvidence records the registry's digest of each of req's tags and downloads the
// evidence artifacts (referrers of artifactType) of those digests and of req.Digests,
// each digest once, in sorted order. Everything is downloaded before anything is
// written, so a failed fetch leaves the trust dir as it was; a digest without evidence
// gets a record saying so. It returns the digests and artifacts kept.
func FetchEvidence(ctx context.Context, d store.Dir, reg Registry, req Request, artifactType string) (digests, artifacts int, err error) {
	tags, err := resolveTags(ctx, req.GUN, reg, req.Repo, req.Tags)
	if err != nil {
		return 0, 0, err
	}
	all := slices.Concat(req.Digests, slices.Collect(maps.Values(tags)))
	slices.Sort(all)
	all = slices.Compact(all)
	recs := make([]EvidenceRecord, 0, len(all))
	for _, digest := range all {
		if _, err := EvidencePath(d, req.GUN, digest); err != nil {
			return 0, 0, err
		}
		rec, err := fetchEvidence(ctx, req.GUN, reg, req.Repo, digest, artifactType)
		if err != nil {
			return 0, 0, err
		}
		recs = append(recs, rec)
		artifacts += len(rec.Artifacts)
	}
	if err := recordTags(d, req.GUN, tags); err != nil {
		return 0, 0, err
	}
	for _, rec := range recs {
		path, _ := EvidencePath(d, req.GUN, rec.Digest)
		out, err := json.Marshal(rec)
		if err != nil {
			return 0, 0, err
		}
		if err := store.WriteFileAtomic(path, out); err != nil {
			return 0, 0, fmt.Errorf("write evidence of %s@%s: %w", req.GUN, rec.Digest, err)
		}
	}
	return len(recs), artifacts, nil
}

// ErrEvidenceNotFetched: the trust dir holds no evidence record of the digest.
var ErrEvidenceNotFetched = errors.New("evidence not fetched")

// LoadEvidence reads the evidence kept for digest under gun, and the file's path;
// ErrEvidenceNotFetched when fetch kept none.
func LoadEvidence(d store.Dir, gun, digest string) (EvidenceRecord, string, error) {
	path, err := EvidencePath(d, gun, digest)
	if err != nil {
		return EvidenceRecord{}, "", err
	}
	b, err := store.ReadFileLimit(path, 2*maxEvidenceRecord) // base64 of at most maxEvidenceRecord bytes
	if errors.Is(err, os.ErrNotExist) {
		return EvidenceRecord{}, path, fmt.Errorf("%s@%s: %w", gun, digest, ErrEvidenceNotFetched)
	}
	if err != nil {
		return EvidenceRecord{}, path, err
	}
	var rec EvidenceRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return EvidenceRecord{}, path, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Digest != digest {
		return EvidenceRecord{}, path, fmt.Errorf("%s: holds the evidence of %s", path, rec.Digest)
	}
	return rec, path, nil
}
