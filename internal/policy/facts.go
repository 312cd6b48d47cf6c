package policy

import (
	// Digests in references fail to parse unless sha256 is registered.
	_ "crypto/sha256"

	"fmt"
	"time"

	"github.com/distribution/reference"
)

// Image is a normalised image reference split into its parts.
type Image struct {
	Repo   string `json:"repository"` // the GUN: docker.io/library/nginx
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"` // sha256:…
}

// ImageOf splits a parsed reference; it keeps both tag and digest.
func ImageOf(named reference.Named) Image {
	img := Image{Repo: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		img.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		img.Digest = d.Digest().String()
	}
	return img
}

// ParseImage normalises a reference as docker does: nginx is
// docker.io/library/nginx:latest.
func ParseImage(ref string) (Image, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return Image{}, fmt.Errorf("image %q: %w", ref, err)
	}
	return ImageOf(reference.TagNameOnly(named)), nil
}

func (i Image) String() string {
	s := i.Repo
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

// Source is where an image is used; it is carried to the Decision for reports.
type Source struct {
	Service string `json:"service,omitempty"`
	// Use is what of the service pulls the image: "" for its containers,
	// "pre_start[N]" for a lifecycle hook, "volume TARGET" for a volume of type image.
	Use  string `json:"use,omitempty"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// TrustErrorKind says what is wrong with a repository's trust data.
type TrustErrorKind int

const (
	// TrustMissing: no trust data for the repository (not signed, or not cached).
	TrustMissing TrustErrorKind = iota + 1
	// TrustExpired: the data verifies but some of it has expired.
	TrustExpired
	// TrustInvalid: the data does not verify (signatures, root pin, rollback…).
	TrustInvalid
)

func (k TrustErrorKind) String() string {
	switch k {
	case TrustMissing:
		return "missing"
	case TrustExpired:
		return "expired"
	case TrustInvalid:
		return "invalid"
	}
	return fmt.Sprintf("TrustErrorKind(%d)", int(k))
}

// TrustProblem is why a repository's trust data could not be used.
type TrustProblem struct {
	Kind   TrustErrorKind
	Reason string // one line
}

// Target is a signed tag as docker resolves it.
type Target struct {
	Tag    string
	Digest string
	Role   string // targets/releases or targets (for Facts.Shadowed: the role that hid it)
}

// RoleSignature is one role holding the tag (for a digest-only reference: a tag with
// that digest).
type RoleSignature struct {
	Role     string // targets, targets/releases, targets/qa…
	Tag      string
	Digest   string
	Verified bool   // the role's metadata verified; an unverified role counts for no one
	Problem  string // why it did not verify
	// KeyIDs are the keys whose signatures on the role's metadata verified, in both
	// forms (certificate ID and canonical ID) for certificate keys.
	KeyIDs []string
}

// Facts is what the trust layer found about one image use. Policy only reads them.
type Facts struct {
	Image  Image
	Source Source
	// Trust is nil when the repository's trust data verified. When the only problem is
	// expiry, the trust layer still fills in the rest as if it had not expired, so that
	// trust.expired: warn can evaluate the image.
	Trust *TrustProblem
	// Release is docker's resolution of Image.Tag (targets/releases, then targets),
	// nil when the tag has no valid signed target.
	Release *Target
	// Shadowed is, when Release is nil, the entry of a delegated role other than
	// targets/releases that docker's lookup met first: docker refuses the tag.
	Shadowed *Target
	// ReleasedTags are, for a digest-only reference, the released tags whose digest is
	// Image.Digest.
	ReleasedTags []Target
	// Roles are every role holding the tag, verified or not.
	Roles []RoleSignature
	// Cosign is the second signature source, filled in only when trust.sources lists
	// cosign.
	Cosign CosignFacts
	// Evidence is what migrate's evidence artifacts prove, filled in only when
	// trust.sources lists evidence (or verify --evidence).
	Evidence EvidenceFacts
}

// EvidenceClaim is a Notary v1 signature that an evidence artifact proves: a role
// listed tag with digest, its file signed by KeyIDs, verified as of Migrated.
type EvidenceClaim struct {
	Tag    string   `json:"tag"`
	Role   string   `json:"role"`
	Digest string   `json:"digest"`
	KeyIDs []string `json:"key_ids,omitempty"`
	// Migrated is the recorded time of migration, at which expiry was judged.
	Migrated time.Time `json:"migrated"`
}

// EvidenceFacts is what the trust dir's evidence proves about an image.
type EvidenceFacts struct {
	// TagDigest is the digest the registry served for Image.Tag when fetch ran.
	TagDigest string `json:"tag_digest,omitempty"`
	// Claims are the verified claims over the digests of interest, oldest first.
	Claims []EvidenceClaim `json:"claims,omitempty"`
	// Problem is why kept evidence was refused (altered, not verifying), naming the
	// file; "" when all of it verified.
	Problem string `json:"problem,omitempty"`
}

// Binding is what a cosign signature's signed name says about the image reference it
// is checked for. The gate works it out; the policy decides what suffices.
type Binding int

const (
	// BindsTag: the signed docker-reference names the image's repository and tag (for a
	// digest-only reference: the repository, with any tag).
	BindsTag Binding = iota + 1
	// BindsRepository: the signature names the repository without a tag (cosign sign's
	// default) or no name at all (a bundle without trustctl's tag annotation).
	BindsRepository
	// BindsOther: the signature names another tag, another repository or a digest.
	BindsOther
)

// CosignSignature is a cosign signature over a digest that one or more of the policy's
// keys verified, offline, from the trust dir.
type CosignSignature struct {
	Digest string   `json:"digest"`
	Format string   `json:"format"`  // legacy (.sig image) or bundle (v3 referrer)
	KeyIDs []string `json:"key_ids"` // the IDs of the policy keys that verify it, in both forms
	// Binding is how the signed name relates to Facts.Image; SignedFor is that name
	// ("" when the signature names none).
	Binding   Binding `json:"binding"`
	SignedFor string  `json:"signed_for,omitempty"`
}

func (b Binding) String() string {
	switch b {
	case BindsTag:
		return "tag"
	case BindsRepository:
		return "repository"
	case BindsOther:
		return "other"
	}
	return fmt.Sprintf("Binding(%d)", int(b))
}

// MarshalText writes the binding as its name in reports.
func (b Binding) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// CosignFacts is what the trust dir holds about an image's cosign signatures.
type CosignFacts struct {
	// TagDigest is the digest the registry served for Image.Tag when fetch ran, ""
	// when fetch recorded none.
	TagDigest string `json:"tag_digest,omitempty"`
	// Signatures are the verified signatures over the digests of interest (the
	// reference's, the notary release's, TagDigest), in a stable order.
	Signatures []CosignSignature `json:"signatures,omitempty"`
	// Problem is why the cached cosign data could not be read, "" when it could.
	Problem string `json:"problem,omitempty"`
}
