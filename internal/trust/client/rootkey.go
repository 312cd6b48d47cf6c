package client

import (
	"cmp"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// currentRootKey picks the trust dir's root key for a new repository: one that signs
// the current root of a cached repository, so that a key rotated out (still in the
// trust dir, as `key rotate` leaves it for the cross-signature) is never reused, as
// docker's init takes the key its repositories use. Among several, the key of the most
// recently written root wins, then the smallest ID. "" when no root key signs a cached
// root.
func currentRootKey(dir store.Dir, held []keys.Info) string {
	roots := map[string]bool{}
	for _, k := range held {
		if k.Role == tuf.RoleRoot {
			roots[k.ID] = true
		}
	}
	type use struct {
		id   string
		when time.Time
	}
	var uses []use
	// Only our own keys are chosen among: the cache is not verified here, a planted
	// file can at most pick another key the user already holds.
	_ = filepath.WalkDir(filepath.Join(dir.Root, "tuf"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "root.json" || filepath.Base(filepath.Dir(p)) != "metadata" {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		data, err := store.ReadFileLimit(p, tuf.MaxRootSize)
		if err != nil {
			return nil
		}
		var root tuf.Root
		if !peek(data, &root) {
			return nil
		}
		for _, id := range canonicalIDs(root.Roles[tuf.RoleRoot].KeyIDs, root.Keys) {
			if roots[id] {
				uses = append(uses, use{id, info.ModTime()})
			}
		}
		return nil
	})
	if len(uses) == 0 {
		return ""
	}
	return slices.MinFunc(uses, func(a, b use) int {
		return cmp.Or(b.when.Compare(a.when), cmp.Compare(a.id, b.id))
	}).id
}
