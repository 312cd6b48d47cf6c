// Package pin hands the gate's verdict to the deploy: the digest each image passed
// with, as references (`resolve`), as a compose override file (`verify --pin-file`) or
// rewritten into the image scalars of one file (`pin`). It decides nothing: every
// digest it writes comes from a policy.Decision.
package pin

import (
	"time"

	"github.com/trustctl/trustctl/internal/policy"
)

// Resolved is one image reference and what docker's pull would resolve it to.
type Resolved struct {
	// Image is the reference as given.
	Image string
	// Reference is what docker pulls, name:tag@digest; "" when it pulls nothing or
	// the policy refuses it.
	Reference string
	Decision  policy.Decision
	// Role is the role docker's lookup took the digest from.
	Role string
	// Signers are the verified roles that hold the tag with that digest.
	Signers []string
	// Expires is the earliest expiry of the trust data the resolution rests on (root,
	// timestamp, snapshot, targets and the release role).
	Expires time.Time
}

// Reference is the pinned form of a decision, name:tag@digest (name@digest for a
// digest-only reference), when the image passed with a signed digest: a pass by an
// exception or by require: none has no digest to pin, and neither has a failure.
func Reference(d policy.Decision) (string, bool) {
	if d.Code != policy.CodeSigned || (d.Result != policy.Pass && d.Result != policy.Warn) || d.Digest == "" {
		return "", false
	}
	ref := d.Image.Repo
	if d.Image.Tag != "" {
		ref += ":" + d.Image.Tag
	}
	return ref + "@" + d.Digest, true
}

// Digests maps each service whose own image passed with a signed digest to that
// digest.
func Digests(ds []policy.Decision) map[string]string {
	out := make(map[string]string)
	for _, d := range ds {
		if _, ok := Reference(d); ok && d.Source.Use == "" {
			out[d.Source.Service] = d.Digest
		}
	}
	return out
}
