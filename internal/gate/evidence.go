package gate

import (
	"cmp"
	"errors"
	"os"
	"slices"
	"strings"

	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/sigcache"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// evidenceRepo is the third source of signature facts of one repository: the evidence
// artifacts migrate attached and fetch kept in the trust dir, re-verified here, offline,
// each as of its time of migration, with the root pinned by the policy. Each digest is
// verified once.
type evidenceRepo struct {
	dir     store.Dir
	gun     string
	pin     *tuf.Pin
	tags    map[string]string
	problem string // the recorded tags could not be read
	byHash  map[string]evidenceResult
}

type evidenceResult struct {
	claims  []policy.EvidenceClaim
	problem string
}

func openEvidence(dir store.Dir, gun string, p *policy.Policy) *evidenceRepo {
	e := &evidenceRepo{dir: dir, gun: gun, pin: TrustPin(p, gun), byHash: map[string]evidenceResult{}}
	tags, err := sigcache.Tags(dir, gun)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		e.problem = err.Error()
	}
	e.tags = tags
	return e
}

// verified re-verifies the evidence kept for digest. A digest without kept evidence
// proves nothing and is no problem; kept evidence that does not verify is one, naming
// the file and the reason.
func (e *evidenceRepo) verified(digest string) evidenceResult {
	if r, ok := e.byHash[digest]; ok {
		return r
	}
	var r evidenceResult
	rec, path, err := sigcache.LoadEvidence(e.dir, e.gun, digest)
	if err == nil {
		stored := make([]migrate.StoredEvidence, len(rec.Artifacts))
		for i, a := range rec.Artifacts {
			stored[i] = migrate.StoredEvidence{Manifest: a.Manifest, Blobs: a.Blobs}
		}
		var proven []migrate.VerifiedEvidence
		if proven, err = migrate.VerifyStoredEvidence(e.gun, digest, stored, e.pin); err != nil {
			err = errors.New(path + ": " + err.Error())
		}
		for _, v := range proven {
			for _, c := range v.Claims {
				r.claims = append(r.claims, policy.EvidenceClaim{Tag: c.Tag, Role: c.Role, Digest: digest,
					KeyIDs: slices.Clone(v.SignedBy[c.Role]), Migrated: v.Migrated.UTC()})
			}
		}
	}
	if err != nil && !errors.Is(err, sigcache.ErrEvidenceNotFetched) {
		r = evidenceResult{problem: err.Error()}
	}
	e.byHash[digest] = r
	return r
}

// facts are the evidence facts of an image whose Notary v1 facts are in f: the claims
// over the pinned digest, the notary release and the registry's digest of the tag,
// oldest proof first, then by tag, role and digest, so reports are the same each run.
func (e *evidenceRepo) facts(f policy.Facts) policy.EvidenceFacts {
	img := f.Image
	ef := policy.EvidenceFacts{Problem: e.problem}
	if img.Tag != "" {
		ef.TagDigest = e.tags[img.Tag]
	}
	digests := []string{img.Digest, ef.TagDigest}
	if f.Release != nil {
		digests = append(digests, f.Release.Digest)
	}
	seen := map[string]bool{"": true}
	for _, d := range digests {
		if seen[d] {
			continue
		}
		seen[d] = true
		r := e.verified(d)
		if r.problem != "" && ef.Problem == "" {
			ef.Problem = r.problem
		}
		ef.Claims = append(ef.Claims, r.claims...)
	}
	slices.SortStableFunc(ef.Claims, func(a, b policy.EvidenceClaim) int {
		return cmp.Or(a.Migrated.Compare(b.Migrated), strings.Compare(a.Tag, b.Tag), strings.Compare(a.Role, b.Role), strings.Compare(a.Digest, b.Digest))
	})
	return ef
}
