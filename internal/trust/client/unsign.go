package client

import (
	"maps"
	"path"
	"slices"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// signedTags is the set of tags a client would find signed after this change: those of
// every role whose file verifies with the keys its parent now gives it, through a chain
// of such roles. Changed roles count as valid: they are re-signed on publish.
func (st *state) signedTags() map[string]bool {
	valid := map[string]bool{}
	var isValid func(role string) bool
	isValid = func(role string) bool {
		if v, ok := valid[role]; ok {
			return v
		}
		v := st.verifies(role)
		if v && role != tuf.RoleTargets {
			v = isValid(path.Dir(role))
		}
		valid[role] = v
		return v
	}
	tags := map[string]bool{}
	for role, t := range st.targets {
		if t == nil || !isValid(role) {
			continue
		}
		for name := range t.Targets {
			if allows(st.paths(role), name) {
				tags[name] = true
			}
		}
	}
	return tags
}

// verifies tells whether role's current file is (or will be, once re-signed) valid.
func (st *state) verifies(role string) bool {
	if role == tuf.RoleTargets || st.changed[role] {
		return true
	}
	ids, pubs, threshold, ok := st.roleKeys(role)
	if !ok || st.raw[role] == nil {
		return false
	}
	keys := make(map[string]tuf.PublicKey, len(ids))
	for _, id := range ids {
		keys[id] = pubs[id]
	}
	return tuf.VerifySignatures(st.raw[role], keys, threshold) == nil
}

// lostTags lists, sorted, the tags of before that are no longer signed.
func (st *state) lostTags(before map[string]bool) []string {
	after := st.signedTags()
	var lost []string
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if !after[name] {
			lost = append(lost, name)
		}
	}
	return lost
}
