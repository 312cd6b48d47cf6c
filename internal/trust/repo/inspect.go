package repo

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// repoAdmin is docker's signer name for tags signed only by targets or targets/releases.
const repoAdmin = "Repo Admin"

// Inspection is the data of `docker trust inspect` for one repository or tag, plus what
// docker does not show: expiries, the root trust mode and refused delegations.
type Inspection struct {
	Name               string
	SignedTags         []SignedTag
	Signers            []SignerKeys
	AdministrativeKeys []SignerKeys
	// Expires maps every verified role to its expiry.
	Expires map[string]time.Time
	// TrustOnFirstUse is set when the root was not pinned.
	TrustOnFirstUse bool
	// InvalidDelegations are the reasons delegations were refused in whole or in part.
	InvalidDelegations []string
}

// SignedTag is a released tag: its digest (hex) and the signers holding it.
type SignedTag struct {
	SignedTag string
	Digest    string
	Signers   []string
}

// SignerKeys is a signer (or "Root"/"Repository") and its key IDs.
type SignerKeys struct {
	Name string
	Keys []KeyID
}

// KeyID is one key of a SignerKeys.
type KeyID struct {
	ID string
}

// Inspect returns what `docker trust inspect GUN[:tag]` reports (tag "" = every tag).
// Name is the GUN, with ":tag" when a tag is given. Unlike docker, a role's targets
// outside its paths are never listed, with or without a tag.
func (r *Repo) Inspect(tag string) *Inspection {
	in := &Inspection{
		Name:               r.meta.GUN,
		SignedTags:         r.signedTags(tag),
		Signers:            r.signerKeys(),
		AdministrativeKeys: r.adminKeys(),
		Expires:            map[string]time.Time{},
		TrustOnFirstUse:    r.meta.TrustOnFirstUse,
	}
	if tag != "" {
		in.Name += ":" + tag
	}
	for _, role := range r.Roles() {
		if role.Version > 0 && role.Err == nil {
			in.Expires[role.Name] = role.Expires
		}
	}
	for _, e := range r.meta.Invalid {
		in.InvalidDelegations = append(in.InvalidDelegations, e.Error())
	}
	return in
}

// signedTags is docker's matchReleasedSignatures: a row per (tag, digest) found in
// targets or targets/releases, signed by every other role holding the same pair.
func (r *Repo) signedTags(tag string) []SignedTag {
	type key struct{ tag, digest string }
	all := r.allByName(tag)
	signers := make(map[key][]string)
	for _, t := range all {
		if isReleased(t.Role) {
			signers[key{t.Name, hexDigest(t.Digest)}] = []string{}
		}
	}
	for _, t := range all {
		k := key{t.Name, hexDigest(t.Digest)}
		if s, ok := signers[k]; ok && !isReleased(t.Role) {
			signers[k] = append(s, signerName(t.Role))
		}
	}
	rows := make([]SignedTag, 0, len(signers))
	for k, s := range signers {
		if len(s) == 0 {
			s = []string{repoAdmin}
		}
		rows = append(rows, SignedTag{SignedTag: k.tag, Digest: k.digest, Signers: s})
	}
	slices.SortFunc(rows, func(a, b SignedTag) int {
		if c := strings.Compare(a.SignedTag, b.SignedTag); c != 0 {
			return c
		}
		return strings.Compare(a.Digest, b.Digest)
	})
	return rows
}

func hexDigest(d string) string { return strings.TrimPrefix(d, "sha256:") }

func signerName(role string) string { return strings.TrimPrefix(role, tuf.RoleTargets+"/") }

// signerKeys is docker's signer list: every delegation listed by a verified role, except
// targets/releases, with canonical key IDs, sorted by name descending.
func (r *Repo) signerKeys() []SignerKeys {
	out := []SignerKeys{}
	r.meta.Walk("", "", nil, func(tr *tuf.TargetsRole) bool {
		for _, c := range tr.Children {
			if c.Name == ReleasesRole {
				continue
			}
			keys := []KeyID{}
			for _, k := range roleKeys(c) {
				keys = append(keys, KeyID{ID: k.CanonicalID})
			}
			out = append(out, SignerKeys{Name: signerName(c.Name), Keys: keys})
		}
		return true
	})
	slices.SortFunc(out, func(a, b SignerKeys) int { return strings.Compare(b.Name, a.Name) })
	return out
}

// adminKeys are the root and targets key IDs of root.json, as docker lists them.
func (r *Repo) adminKeys() []SignerKeys {
	ids := func(role string) []KeyID {
		keys := []KeyID{}
		for _, id := range r.meta.Root.Roles[role].KeyIDs {
			keys = append(keys, KeyID{ID: id})
		}
		return keys
	}
	return []SignerKeys{{Name: "Root", Keys: ids(tuf.RoleRoot)}, {Name: "Repository", Keys: ids(tuf.RoleTargets)}}
}

// DockerJSON renders inspections exactly as `docker trust inspect` prints them: a JSON
// array indented by four spaces, docker's members only, and a final newline.
func DockerJSON(ins ...*Inspection) ([]byte, error) {
	type dockerView struct {
		Name               string
		SignedTags         []SignedTag
		Signers            []SignerKeys
		AdministrativeKeys []SignerKeys
	}
	views := make([]dockerView, 0, len(ins))
	for _, in := range ins {
		views = append(views, dockerView{in.Name, in.SignedTags, in.Signers, in.AdministrativeKeys})
	}
	raw, err := json.Marshal(views)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "    "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
