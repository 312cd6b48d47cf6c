package migrate

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Image is an image whose evidence is re-verified: a tag (resolved on the registry),
// a digest, or both.
type Image struct {
	GUN, Tag, Digest string
	// Ref is the reference as the user gave it, for messages.
	Ref string
}

// VerifyImagesOptions are the inputs of VerifyImages.
type VerifyImagesOptions struct {
	Images []Image
	// Registry returns the client of a repository's registry and its name there.
	Registry func(gun string) (*registry.Client, string, error)
	// Pin returns the root pin of a repository; nil trusts the evidence's root as
	// first seen, with a warning.
	Pin func(gun string) *tuf.Pin
	Log *slog.Logger
}

// ProvenTag is one claim an evidence artifact proves for an image: the role that
// released the tag over the digest.
type ProvenTag struct {
	Image    string    `json:"image"`
	Digest   string    `json:"digest"`
	Tag      string    `json:"tag"`
	Role     string    `json:"role"`
	Migrated time.Time `json:"migrated"`
	Artifact string    `json:"evidence"`
}

// VerifyImages re-verifies the evidence of each image (VerifyEvidence) and returns
// the proven claims sorted by image, tag and role. An image given by tag must have
// evidence proving that tag, or the error is a trust data error.
func VerifyImages(ctx context.Context, opts VerifyImagesOptions) ([]ProvenTag, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	var proven []ProvenTag
	for _, img := range opts.Images {
		reg, name, err := opts.Registry(img.GUN)
		if err != nil {
			return nil, err
		}
		digest := img.Digest
		if digest == "" {
			d, err := reg.Resolve(ctx, name, img.Tag)
			if err != nil {
				return nil, fmt.Errorf("resolve %s: %w", img.Ref, err)
			}
			digest = d.Digest
		}
		var pin *tuf.Pin
		if opts.Pin != nil {
			pin = opts.Pin(img.GUN)
		}
		if pin == nil {
			opts.Log.Warn("root not pinned: the evidence's own root is trusted (pin it with --policy or --root-key)", "repository", img.GUN)
		}
		all, err := VerifyEvidence(ctx, VerifyEvidenceOptions{GUN: img.GUN, Digest: digest, Registry: reg, Name: name, Pin: pin})
		if err != nil {
			return nil, err
		}
		before := len(proven)
		for _, e := range all {
			for _, c := range e.Claims {
				if img.Tag == "" || c.Tag == img.Tag {
					proven = append(proven, ProvenTag{Image: img.GUN, Digest: digest, Tag: c.Tag, Role: c.Role, Migrated: e.Migrated, Artifact: e.Artifact})
				}
			}
		}
		if len(proven) == before {
			return nil, exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("the evidence of %s@%s does not prove tag %s", img.GUN, digest, img.Tag))
		}
	}
	slices.SortStableFunc(proven, func(x, y ProvenTag) int {
		return cmp.Or(strings.Compare(x.Image, y.Image), strings.Compare(x.Tag, y.Tag), strings.Compare(x.Role, y.Role))
	})
	return proven, nil
}
