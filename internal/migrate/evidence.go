package migrate

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Evidence is an OCI artifact that keeps the Notary v1 record of an image after the
// notary server is gone (issue 13, item 2): the exact bytes of the repository's
// metadata files as trustctl verified them when migrating, attached to the image as a
// referrer. Re-verifying it needs no server: expiry is judged at the recorded time of
// migration.
const (
	ArtifactTypeEvidence  = "application/vnd.dev.trustctl.notary.evidence.v1+json"
	MediaTypeNotaryFile   = "application/vnd.dev.trustctl.notary.metadata.v1+json"
	AnnotationEvidenceFor = "dev.trustctl.notary.claims" // JSON [{"tag":…,"role":…}]
	annotationTitle       = "org.opencontainers.image.title"
)

// maxEvidenceLayers bounds the files of an evidence artifact read back.
const maxEvidenceLayers = 1000

// Claim is a tag of a role that an evidence artifact proves.
type Claim struct {
	Tag  string `json:"tag"`
	Role string `json:"role"`
}

// EvidenceItem is the evidence of one image digest in a run's report.
type EvidenceItem struct {
	Repository string  `json:"repository"`
	Digest     string  `json:"digest"`
	Claims     []Claim `json:"claims"`
	Outcome    Outcome `json:"outcome"`
}

// evidencePlan is the evidence artifact to write for one digest.
type evidencePlan struct {
	dp     *digestPlan
	claims []Claim
	files  map[string][]byte // role → exact bytes
	item   *EvidenceItem
}

// metadataFiles reads the exact bytes of every file of the verified repository from
// the trust dir: root, timestamp, snapshot, targets and the delegations the snapshot
// lists (so the delegation path of every tag is there).
func metadataFiles(src repo.DirSource, r *repo.Repo) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, role := range r.Roles() {
		b, err := src.Read(role.Name, maxMetadataBytes)
		if errors.Is(err, fs.ErrNotExist) && role.Version == 0 {
			continue // a delegation without a file: nothing signed there
		}
		if err != nil {
			return nil, err
		}
		files[role.Name] = b
	}
	return files, nil
}

// planAllEvidence plans the evidence of every digest of a repository.
func (p *planner) planAllEvidence(ctx context.Context, src repo.DirSource, r *repo.Repo, plans []*digestPlan) ([]*evidencePlan, error) {
	files, err := metadataFiles(src, r)
	if err != nil {
		return nil, err
	}
	eps := make([]*evidencePlan, len(plans))
	errs := parallel(len(plans), func(i int) error {
		var err error
		eps[i], err = p.planEvidence(ctx, plans[i], files)
		return err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(eps, func(ep *evidencePlan) bool { return ep == nil }), nil
}

// planEvidence decides, per digest, whether an evidence artifact covering every tag and
// role migrated for it is already attached; otherwise one is planned.
func (p *planner) planEvidence(ctx context.Context, dp *digestPlan, files map[string][]byte) (*evidencePlan, error) {
	var claims []Claim
	for _, c := range dp.claims {
		if c.item.Outcome == Skipped {
			continue
		}
		claims = append(claims, Claim{Tag: c.tag, Role: c.role})
	}
	if len(claims) == 0 {
		return nil, nil
	}
	slices.SortFunc(claims, func(a, b Claim) int { return cmp.Or(strings.Compare(a.Tag, b.Tag), strings.Compare(a.Role, b.Role)) })
	it := &EvidenceItem{Repository: dp.gun, Digest: dp.subject.Digest, Claims: claims, Outcome: WouldMigrate}
	existing, err := readEvidence(ctx, dp)
	if err != nil {
		return nil, err
	}
	covered := func(c Claim) bool {
		return slices.ContainsFunc(existing, func(e attachedEvidence) bool { return slices.Contains(e.claims, c) })
	}
	if !slices.ContainsFunc(claims, func(c Claim) bool { return !covered(c) }) {
		it.Outcome = Present
	}
	return &evidencePlan{dp: dp, claims: claims, files: files, item: it}, nil
}

// attachedEvidence is an evidence artifact read from the registry.
type attachedEvidence struct {
	digest   string
	claims   []Claim
	migrated time.Time
	files    map[string][]byte
}

// readEvidence reads the evidence artifacts referring to dp's digest.
func readEvidence(ctx context.Context, dp *digestPlan) ([]attachedEvidence, error) {
	list, _, _, err := referrers(ctx, dp)
	if err != nil {
		return nil, err
	}
	var out []attachedEvidence
	for _, d := range list {
		if d.ArtifactType != ArtifactTypeEvidence {
			continue
		}
		e, err := readOneEvidence(ctx, dp, d.Digest)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func readOneEvidence(ctx context.Context, dp *digestPlan, digest string) (attachedEvidence, error) {
	b, _, err := dp.reg.Manifest(ctx, dp.name, digest, registry.MaxManifest, cosign.MediaTypeOCIManifest)
	if err != nil {
		return attachedEvidence{}, fmt.Errorf("evidence %s: %w", digest, err)
	}
	e, layers, err := parseEvidence(b, dp.gun, dp.subject.Digest, digest)
	if err != nil {
		return attachedEvidence{}, err
	}
	for _, l := range layers {
		data, err := dp.reg.Blob(ctx, dp.name, registry.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size})
		if err != nil {
			return attachedEvidence{}, fmt.Errorf("evidence %s: %w", digest, err)
		}
		e.files[l.Annotations[KeyRole]] = data
	}
	return e, nil
}

// parseEvidence reads an evidence manifest (digest) from a registry: an artifact of
// the evidence type about subject, its claims and time of migration, and one Notary
// metadata layer per role. The layers' contents are for the caller to fetch.
func parseEvidence(b []byte, gun, subject, digest string) (attachedEvidence, []cosign.Descriptor, error) {
	bad := func(format string, args ...any) error {
		return &tuf.VerifyError{GUN: gun, Role: "evidence", File: digest, Reason: tuf.ErrMalformed, Err: fmt.Errorf(format, args...)}
	}
	m, err := cosign.ParseManifest(b)
	if err != nil {
		return attachedEvidence{}, nil, bad("%v", err)
	}
	if m.ArtifactType != ArtifactTypeEvidence {
		return attachedEvidence{}, nil, bad("artifactType %q, want %q", m.ArtifactType, ArtifactTypeEvidence)
	}
	if m.Subject == nil || m.Subject.Digest != subject {
		return attachedEvidence{}, nil, bad("the artifact is not about %s", subject)
	}
	e := attachedEvidence{digest: digest, files: map[string][]byte{}}
	if err := json.Unmarshal([]byte(m.Annotations[AnnotationEvidenceFor]), &e.claims); err != nil || len(e.claims) == 0 {
		return attachedEvidence{}, nil, bad("annotation %s holds no claims", AnnotationEvidenceFor)
	}
	if e.migrated, err = time.Parse(time.RFC3339, m.Annotations[KeyMigrated]); err != nil {
		return attachedEvidence{}, nil, bad("annotation %s: %v", KeyMigrated, err)
	}
	if len(m.Layers) > maxEvidenceLayers {
		return attachedEvidence{}, nil, bad("%d files, at most %d", len(m.Layers), maxEvidenceLayers)
	}
	roles := map[string]bool{}
	for _, l := range m.Layers {
		role := l.Annotations[KeyRole]
		if l.MediaType != MediaTypeNotaryFile || role == "" || l.Size > maxMetadataBytes {
			return attachedEvidence{}, nil, bad("layer %s is not a Notary metadata file", l.Digest)
		}
		if roles[role] {
			return attachedEvidence{}, nil, bad("two files for role %s", role)
		}
		roles[role] = true
	}
	return e, m.Layers, nil
}

// evidenceArtifact builds the artifact of ep: one layer per file, in role order.
func evidenceArtifact(ep *evidencePlan, now time.Time) (cosign.Artifact, error) {
	claims, err := json.Marshal(ep.claims)
	if err != nil {
		return cosign.Artifact{}, err
	}
	config := []byte("{}")
	m := cosign.Manifest{
		SchemaVersion: 2,
		MediaType:     cosign.MediaTypeOCIManifest,
		ArtifactType:  ArtifactTypeEvidence,
		Config:        cosign.Descriptor{MediaType: cosign.MediaTypeOCIEmpty, Size: int64(len(config)), Digest: cosign.Digest(config)},
		Layers:        []cosign.Descriptor{},
		Subject:       &cosign.Descriptor{MediaType: ep.dp.subject.MediaType, Size: ep.dp.subject.Size, Digest: ep.dp.subject.Digest},
		Annotations: map[string]string{
			KeyGUN:                   ep.dp.gun,
			AnnotationEvidenceFor:    string(claims),
			KeyMigrated:              now.UTC().Format(time.RFC3339),
			cosign.AnnotationCreated: now.UTC().Format(time.RFC3339),
		},
	}
	a := cosign.Artifact{Blobs: []cosign.Blob{{Descriptor: m.Config, Data: config}}}
	roles := make([]string, 0, len(ep.files))
	for role := range ep.files {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
		data := ep.files[role]
		d := cosign.Descriptor{MediaType: MediaTypeNotaryFile, Size: int64(len(data)), Digest: cosign.Digest(data),
			Annotations: map[string]string{KeyRole: role, annotationTitle: tuf.FileName(role)}}
		m.Layers = append(m.Layers, d)
		a.Blobs = append(a.Blobs, cosign.Blob{Descriptor: d, Data: data})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return cosign.Artifact{}, err
	}
	a.Manifest = b
	a.Descriptor = cosign.Descriptor{MediaType: m.MediaType, Size: int64(len(b)), Digest: cosign.Digest(b), ArtifactType: ArtifactTypeEvidence}
	return a, nil
}

// writeEvidence pushes ep's artifact and lists it as a referrer of the image.
func (p *planner) writeEvidence(ctx context.Context, ep *evidencePlan) error {
	a, err := evidenceArtifact(ep, p.opts.Now)
	if err != nil {
		return err
	}
	return addReferrers(ctx, ep.dp, []cosign.Artifact{a})
}

// VerifiedEvidence is what an evidence artifact proves.
type VerifiedEvidence struct {
	// Artifact is the evidence manifest's digest.
	Artifact string
	Claims   []Claim
	// SignedBy are, per claimed role, the keys whose signatures on the role's file
	// verified (TUF and canonical IDs): who vouched for the tag, for team policies.
	SignedBy map[string][]string
	// Migrated is the recorded time of migration, at which expiry was judged.
	Migrated time.Time
}

// VerifyEvidenceOptions are the inputs of VerifyEvidence.
type VerifyEvidenceOptions struct {
	GUN    string
	Digest string
	// Registry is the client of the GUN's registry and the repository's name there.
	Registry *registry.Client
	Name     string
	// Pin restricts the root keys; nil trusts the evidence's root as first seen.
	Pin *tuf.Pin
}

// VerifyEvidence re-verifies the Notary v1 record kept in the evidence artifacts of an
// image digest, without a notary server: the files are verified as a fetch would
// (root, timestamp, snapshot, targets, delegations; pin and thresholds), with expiry
// judged at the recorded time of migration, and each claimed role must list the tag
// with this digest. It returns what every artifact proves; an artifact that does not
// verify is an error naming it and the reason.
func VerifyEvidence(ctx context.Context, opts VerifyEvidenceOptions) ([]VerifiedEvidence, error) {
	dp := &digestPlan{gun: opts.GUN, name: opts.Name, reg: opts.Registry, subject: registry.Descriptor{Digest: opts.Digest}}
	all, err := readEvidence(ctx, dp)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, &tuf.VerifyError{GUN: opts.GUN, Role: "evidence", File: opts.Digest, Reason: tuf.ErrNoTrustData,
			Err: fmt.Errorf("%s@%s has no evidence artifact (trustctl migrate --evidence attaches one)", opts.GUN, opts.Digest)}
	}
	return verifyAll(all, opts.GUN, opts.Digest, opts.Pin)
}

// StoredEvidence is an evidence artifact as fetch kept it in the trust dir: its
// manifest and its layers by digest, as received and not yet verified.
type StoredEvidence struct {
	Manifest []byte
	Blobs    map[string][]byte
}

// VerifyStoredEvidence re-verifies, offline, the evidence artifacts of digest that
// fetch kept, as VerifyEvidence does from the registry. Each layer must be the bytes its
// manifest names: an altered file is refused with the role it claims to be.
func VerifyStoredEvidence(gun, digest string, stored []StoredEvidence, pin *tuf.Pin) ([]VerifiedEvidence, error) {
	all := make([]attachedEvidence, 0, len(stored))
	for _, s := range stored {
		md := cosign.Digest(s.Manifest)
		e, layers, err := parseEvidence(s.Manifest, gun, digest, md)
		if err != nil {
			return nil, err
		}
		for _, l := range layers {
			role := l.Annotations[KeyRole]
			data, ok := s.Blobs[l.Digest]
			if !ok || cosign.Digest(data) != l.Digest {
				return nil, &tuf.VerifyError{GUN: gun, Role: role, File: tuf.FileName(role), Reason: tuf.ErrMalformed,
					Err: fmt.Errorf("evidence %s: the file of %s is missing or altered (its bytes do not hash to %s)", md, role, l.Digest)}
			}
			e.files[role] = data
		}
		all = append(all, e)
	}
	return verifyAll(all, gun, digest, pin)
}

// verifyAll verifies each evidence artifact's files, judged at its time of migration,
// and that each claimed role lists the tag with digest.
func verifyAll(all []attachedEvidence, gun, digest string, pin *tuf.Pin) ([]VerifiedEvidence, error) {
	var out []VerifiedEvidence
	for _, e := range all {
		meta, err := tuf.Verify(gun, evidenceSource(e.files), tuf.VerifyOptions{Now: e.migrated, Pin: pin})
		if err != nil {
			return nil, fmt.Errorf("evidence %s (judged at %s): %w", e.digest, e.migrated.Format(time.RFC3339), err)
		}
		v := VerifiedEvidence{Artifact: e.digest, Claims: e.claims, Migrated: e.migrated, SignedBy: map[string][]string{}}
		for _, c := range e.claims {
			signedBy, err := holds(meta, c, digest)
			if err != nil {
				return nil, fmt.Errorf("evidence %s (judged at %s): %w", e.digest, e.migrated.Format(time.RFC3339), err)
			}
			v.SignedBy[c.Role] = signedBy
		}
		out = append(out, v)
	}
	return out, nil
}

// holds checks that the verified role c.Role lists c.Tag with digest, within its paths,
// and returns the keys that signed the role's file. A refused role answers with the
// reason it was refused.
func holds(meta *tuf.Repository, c Claim, digest string) ([]string, error) {
	for _, bad := range meta.Invalid {
		if bad.Role == c.Role {
			return nil, bad
		}
	}
	var why string
	var signedBy []string
	found := false
	meta.Walk(c.Tag, "", nil, func(tr *tuf.TargetsRole) bool {
		if tr.Name != c.Role {
			return true
		}
		m, ok := tr.Signed.Get(c.Tag)
		switch {
		case !ok:
			why = "does not list the tag"
		case "sha256:"+hex.EncodeToString(m.Hashes[tuf.HashSHA256]) != digest:
			why = "lists it with digest sha256:" + hex.EncodeToString(m.Hashes[tuf.HashSHA256])
		default:
			found, signedBy = true, tr.SignedBy
		}
		return false
	})
	if found {
		return signedBy, nil
	}
	if why == "" {
		why = "is not a verified role admitting the tag"
	}
	return nil, &tuf.VerifyError{GUN: meta.GUN, Role: c.Role, File: tuf.FileName(c.Role), Reason: tuf.ErrNoTrustData,
		Err: fmt.Errorf("%s:%s: %s %s", meta.GUN, c.Tag, c.Role, why)}
}

// evidenceSource serves an artifact's files to tuf.Verify.
type evidenceSource map[string][]byte

func (s evidenceSource) Read(name string, limit int64) ([]byte, error) {
	b, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if int64(len(b)) > limit {
		return b[:limit+1], nil
	}
	return b, nil
}

func (evidenceSource) RootVersions() ([]int, error) { return nil, nil }
