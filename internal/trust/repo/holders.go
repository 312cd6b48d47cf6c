package repo

import "github.com/trustctl/trustctl/internal/trust/tuf"

// Holder is a verified role that lists a tag.
type Holder struct {
	Role   string
	Digest string // "sha256:<hex>", empty when the entry has no sha256 hash
	// SignedBy are the keys whose signatures on the role's file verified (TUF and
	// canonical IDs): who vouches for the entry, for team policies.
	SignedBy []string
}

// Holders returns every verified role, targets and targets/releases included, whose
// paths admit tag and which lists it, in walk order.
func (r *Repo) Holders(tag string) []Holder {
	var out []Holder
	r.meta.Walk(tag, "", nil, func(tr *tuf.TargetsRole) bool {
		if m, ok := tr.Signed.Get(tag); ok {
			out = append(out, Holder{Role: tr.Name, Digest: newTarget(tag, m, tr.Name).Digest, SignedBy: tr.SignedBy})
		}
		return true
	})
	return out
}
