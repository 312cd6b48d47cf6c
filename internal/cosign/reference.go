package cosign

import (
	"fmt"

	"github.com/distribution/reference"
)

// CheckReference checks that the payload's docker-reference names want, an image
// reference with a tag (<gun>:<tag>). cosign verify checks only the digest; binding a
// signature to a tag is the caller's policy. Both sides are normalised as docker does
// (nginx:1 is docker.io/library/nginx:1; cosign writes index.docker.io/library/nginx).
// A reference without a tag, which cosign sign writes by default, fails with
// ErrNoTagInReference; one naming another repository or tag with ErrReferenceMismatch.
func (p Payload) CheckReference(want string) error {
	w, err := reference.ParseNormalizedNamed(want)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", want, err)
	}
	wantTagged, ok := w.(reference.NamedTagged)
	if !ok {
		return fmt.Errorf("image reference %q has no tag", want)
	}
	got, err := reference.ParseNormalizedNamed(p.DockerReference)
	if err != nil {
		return fmt.Errorf("%w: %q is not an image reference: %v", ErrReferenceMismatch, p.DockerReference, err)
	}
	if got.Name() != wantTagged.Name() {
		return fmt.Errorf("%w: signed for %s, not %s", ErrReferenceMismatch, p.DockerReference, want)
	}
	if _, digested := got.(reference.Digested); digested {
		return fmt.Errorf("%w: signed for %s, not tag %s", ErrReferenceMismatch, p.DockerReference, wantTagged.Tag())
	}
	gotTagged, ok := got.(reference.NamedTagged)
	if !ok {
		return fmt.Errorf("%w: %q names the repository only, not tag %s (cosign sign --sign-container-identity sets it)", ErrNoTagInReference, p.DockerReference, wantTagged.Tag())
	}
	if gotTagged.Tag() != wantTagged.Tag() {
		return fmt.Errorf("%w: signed for tag %s, not %s", ErrReferenceMismatch, gotTagged.Tag(), wantTagged.Tag())
	}
	return nil
}
