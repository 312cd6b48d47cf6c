package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// ReleasesRole is the delegation docker resolves tags from first.
const ReleasesRole = "targets/releases"

// InitOptions tune Init.
type InitOptions struct {
	// LocalSnapshot keeps the snapshot key in the trust dir (notary init); by default
	// the server holds it (docker).
	LocalSnapshot bool
}

// Keys are the key IDs of a new repository's roles: canonical IDs for root (the key
// file's name), targets and a local snapshot key, TUF IDs for the server's keys.
type Keys struct {
	Root, RootCert, Targets, Snapshot, Timestamp string
	SnapshotOnServer                             bool
}

// Init creates the repository: the trust dir's root key (the first by ID, reused
// across repositories like docker does) or a new one with a certificate for the GUN, a
// new targets key, the snapshot key on the server or in the trust dir, and the server's
// timestamp key; root, targets (and snapshot) version 1 are cached, then published.
// When that publish failed, Init again publishes what was cached.
func (r *Repository) Init(ctx context.Context, opts InitOptions) (Keys, error) {
	var out Keys
	err := r.locked(func() error {
		_, err := r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
		if err == nil {
			return fmt.Errorf("%s already has trust data on the server", r.gun)
		}
		if !errors.Is(err, server.ErrNotFound) {
			return err
		}
		mdir, err := r.dir.MetadataDir(r.gun)
		if err != nil {
			return err
		}
		// An init whose publish failed left root and targets but never a timestamp:
		// publish those rather than make new keys.
		cache := repo.DirSource(mdir)
		if _, err := cache.Read(tuf.RoleTimestamp, tuf.MaxTimestampSize); errors.Is(err, fs.ErrNotExist) {
			var root tuf.Root
			if b, err := cache.Read(tuf.RoleRoot, tuf.MaxRootSize); err == nil && peek(b, &root) {
				out = keysOf(&root)
				_, err := cache.Read(tuf.RoleSnapshot, tuf.MaxRootSize)
				out.SnapshotOnServer = errors.Is(err, fs.ErrNotExist)
				return nil
			}
		}
		before, err := r.keys.List()
		if err != nil {
			return err
		}
		files, keys, err := r.initFiles(ctx, opts)
		if err == nil {
			err = writeCache(mdir, files, true)
		}
		if err != nil {
			// No failure leaves a new private key behind: nothing refers to it.
			return errors.Join(err, r.removeNewKeys(before))
		}
		out = keys
		return nil
	})
	if err != nil {
		return Keys{}, err
	}
	return out, r.change(ctx, false, func(*state) error { return nil })
}

// removeNewKeys removes the keys that are not in before.
func (r *Repository) removeNewKeys(before []keys.Info) error {
	now, err := r.keys.List()
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range now {
		if !slices.ContainsFunc(before, func(b keys.Info) bool { return b.ID == k.ID }) {
			errs = append(errs, r.keys.Remove(k.ID))
		}
	}
	return errors.Join(errs...)
}

// keysOf describes the keys of a root made by init.
func keysOf(root *tuf.Root) Keys {
	first := func(role string) tuf.PublicKey {
		ids := root.Roles[role].KeyIDs
		if len(ids) == 0 {
			return tuf.PublicKey{}
		}
		return root.Keys[ids[0]]
	}
	var k Keys
	rootKey := first(tuf.RoleRoot)
	k.Root, _ = rootKey.CanonicalID()
	k.RootCert = rootKey.ID()
	k.Targets = first(tuf.RoleTargets).ID()
	k.Snapshot = first(tuf.RoleSnapshot).ID()
	k.Timestamp = first(tuf.RoleTimestamp).ID()
	return k
}

func (r *Repository) initFiles(ctx context.Context, opts InitOptions) (map[string][]byte, Keys, error) {
	var k Keys
	now := r.now()
	rootSigner, err := r.rootKey(now)
	if err != nil {
		return nil, k, err
	}
	k.Root, _ = rootSigner.PublicKey().CanonicalID()
	k.RootCert = rootSigner.PublicKey().ID()
	info, targetsPub, err := r.keys.Generate(tuf.RoleTargets, r.gun)
	if err != nil {
		return nil, k, fmt.Errorf("targets key for %s: %w", r.gun, err)
	}
	k.Targets = info.ID
	targetsPriv, _, err := r.keys.PrivateKey(info.ID)
	if err != nil {
		return nil, k, err
	}
	targetsSigner, err := tuf.NewSigner(targetsPriv, targetsPub)
	if err != nil {
		return nil, k, err
	}
	var snapshotPub tuf.PublicKey
	var snapshotSigner *tuf.Signer
	if opts.LocalSnapshot {
		info, pub, err := r.keys.Generate(tuf.RoleSnapshot, r.gun)
		if err != nil {
			return nil, k, fmt.Errorf("snapshot key for %s: %w", r.gun, err)
		}
		priv, _, err := r.keys.PrivateKey(info.ID)
		if err != nil {
			return nil, k, err
		}
		if snapshotSigner, err = tuf.NewSigner(priv, pub); err != nil {
			return nil, k, err
		}
		snapshotPub, k.Snapshot = pub, info.ID
	} else {
		if snapshotPub, err = r.remote.GetKey(ctx, tuf.RoleSnapshot); err != nil {
			return nil, k, fmt.Errorf("server snapshot key for %s: %w", r.gun, err)
		}
		k.Snapshot, k.SnapshotOnServer = snapshotPub.ID(), true
	}
	timestampPub, err := r.remote.GetKey(ctx, tuf.RoleTimestamp)
	if err != nil {
		return nil, k, fmt.Errorf("server timestamp key for %s: %w", r.gun, err)
	}
	k.Timestamp = timestampPub.ID()

	role := func(p tuf.PublicKey) tuf.RoleKeys { return tuf.RoleKeys{KeyIDs: []string{p.ID()}, Threshold: 1} }
	rootPub := rootSigner.PublicKey()
	root := &tuf.Root{
		Common: tuf.Common{Type: "Root", Version: 1, Expires: now.Add(rootExpiry)},
		Keys: map[string]tuf.PublicKey{rootPub.ID(): rootPub, targetsPub.ID(): targetsPub,
			snapshotPub.ID(): snapshotPub, timestampPub.ID(): timestampPub},
		Roles: map[string]tuf.RoleKeys{tuf.RoleRoot: role(rootPub), tuf.RoleTargets: role(targetsPub),
			tuf.RoleSnapshot: role(snapshotPub), tuf.RoleTimestamp: role(timestampPub)},
	}
	targets := &tuf.Targets{Common: tuf.Common{Type: "Targets", Version: 1, Expires: now.Add(targetsExpiry)},
		Delegations: tuf.Delegations{Keys: map[string]tuf.PublicKey{}, Roles: []tuf.DelegationRole{}},
		Targets:     map[string]tuf.FileMeta{}}
	files := map[string][]byte{}
	if files[tuf.RoleRoot], err = signFile(tuf.RoleRoot, root, []*tuf.Signer{rootSigner}); err != nil {
		return nil, k, err
	}
	if files[tuf.RoleTargets], err = signFile(tuf.RoleTargets, targets, []*tuf.Signer{targetsSigner}); err != nil {
		return nil, k, err
	}
	if snapshotSigner != nil {
		sn := &tuf.Snapshot{Common: tuf.Common{Type: "Snapshot", Version: 1, Expires: now.Add(snapshotExpiry)},
			Meta: map[string]tuf.FileMeta{tuf.RoleRoot: tuf.NewFileMeta(files[tuf.RoleRoot]),
				tuf.RoleTargets: tuf.NewFileMeta(files[tuf.RoleTargets])}}
		if files[tuf.RoleSnapshot], err = signFile(tuf.RoleSnapshot, sn, []*tuf.Signer{snapshotSigner}); err != nil {
			return nil, k, err
		}
	}
	return files, k, nil
}

// rootKey returns a signer for a new root certificate of the GUN: with the trust dir's
// root key that signs the current roots (currentRootKey), else its root key of the
// smallest ID, else a new key.
func (r *Repository) rootKey(now time.Time) (*tuf.Signer, error) {
	list, err := r.keys.List()
	if err != nil {
		return nil, err
	}
	id := currentRootKey(r.dir, list)
	if id == "" {
		for _, k := range list {
			if k.Role == tuf.RoleRoot && (id == "" || k.ID < id) {
				id = k.ID
			}
		}
	}
	if id == "" {
		info, _, err := r.keys.Generate(tuf.RoleRoot, "")
		if err != nil {
			return nil, fmt.Errorf("root key: %w", err)
		}
		id = info.ID
	}
	return r.newRootSigner(id, now)
}

// newRootSigner makes a certificate for the GUN with the root key id.
func (r *Repository) newRootSigner(id string, now time.Time) (*tuf.Signer, error) {
	priv, _, err := r.keys.PrivateKey(id)
	if err != nil {
		return nil, fmt.Errorf("root key %s: %w", id, err)
	}
	pub, err := rootCertificate(priv, r.gun, now)
	if err != nil {
		return nil, err
	}
	return tuf.NewSigner(priv, pub)
}

// Target is an image manifest to sign under a tag.
type Target struct {
	Name string
	// Digest is "sha256:<hex>" of the manifest.
	Digest string
	Size   int64
}

func (t Target) meta() (tuf.FileMeta, error) {
	hexDigest, ok := strings.CutPrefix(t.Digest, "sha256:")
	h, err := hex.DecodeString(hexDigest)
	if !ok || err != nil || len(h) != 32 {
		return tuf.FileMeta{}, fmt.Errorf("digest %q of %s: want sha256:<64 hex digits>", t.Digest, t.Name)
	}
	if t.Size <= 0 {
		return tuf.FileMeta{}, fmt.Errorf("size %d of %s: want the manifest's length in bytes", t.Size, t.Name)
	}
	return tuf.FileMeta{Hashes: tuf.Hashes{tuf.HashSHA256: h}, Length: t.Size}, nil
}

// Sign signs targets as docker does and publishes them in one request: into roles
// when given, else into every direct delegation of targets the trust dir holds a key
// for and whose paths admit the name (releases and team roles), or into targets when
// there are no delegations. It returns the roles each target went into.
func (r *Repository) Sign(ctx context.Context, targets []Target, roles []string) (map[string][]string, error) {
	metas := make([]tuf.FileMeta, len(targets))
	for i, t := range targets {
		var err error
		if metas[i], err = t.meta(); err != nil {
			return nil, err
		}
	}
	out := map[string][]string{}
	err := r.change(ctx, true, func(st *state) error {
		for i, t := range targets {
			into, err := st.signingRoles(t.Name, roles, false)
			if err != nil {
				return err
			}
			for _, role := range into {
				tf, err := st.editTargets(role)
				if err != nil {
					return err
				}
				tf.Targets[t.Name] = metas[i]
			}
			out[t.Name] = into
		}
		return nil
	})
	return out, err
}

// Revoke removes targets as docker does: from roles when given, else from the direct
// delegations the trust dir holds a key for that list them, or from targets when there
// are no delegations. It returns the roles each target was removed from.
func (r *Repository) Revoke(ctx context.Context, names []string, roles []string) (map[string][]string, error) {
	out := map[string][]string{}
	err := r.change(ctx, true, func(st *state) error {
		for _, name := range names {
			from, err := st.signingRoles(name, roles, true)
			if err != nil {
				return err
			}
			for _, role := range from {
				tf, err := st.editTargets(role)
				if err != nil {
					return err
				}
				delete(tf.Targets, name)
			}
			out[name] = from
		}
		return nil
	})
	return out, err
}

// signingRoles picks the roles a target is signed into (revoke: removed from).
func (st *state) signingRoles(name string, roles []string, revoke bool) ([]string, error) {
	has := func(role string) bool {
		t := st.targets[role]
		return t != nil && hasTarget(t, name)
	}
	if len(roles) > 0 {
		var out []string
		for _, role := range roles {
			if role != tuf.RoleTargets {
				if _, ok := st.delegation(role); !ok {
					return nil, fmt.Errorf("role %s does not exist in %s", role, st.r.gun)
				}
			}
			if !allows(st.paths(role), name) {
				return nil, fmt.Errorf("%s is outside the paths %q of %s", name, st.paths(role), role)
			}
			if revoke && !has(role) {
				continue
			}
			out = append(out, role)
		}
		if revoke && len(out) == 0 {
			return nil, fmt.Errorf("tag %s is not signed in %s of %s%s", name, strings.Join(roles, ", "), st.r.gun, st.signedIn(name))
		}
		return out, nil
	}
	top := st.targets[tuf.RoleTargets]
	if top == nil || len(top.Delegations.Roles) == 0 {
		if revoke && !has(tuf.RoleTargets) {
			return nil, st.notSigned(name)
		}
		if !st.holds(tuf.RoleTargets) {
			ids, pubs, threshold, _ := st.roleKeys(tuf.RoleTargets)
			return nil, st.missingKey(tuf.RoleTargets, canonicalIDs(ids, pubs), threshold)
		}
		return []string{tuf.RoleTargets}, nil
	}
	var out, needed []string
	for _, d := range top.Delegations.Roles {
		if !allows(st.paths(d.Name), name) || (revoke && !has(d.Name)) {
			continue
		}
		if !st.holds(d.Name) {
			needed = append(needed, fmt.Sprintf("%s (keys %s)", d.Name, strings.Join(canonicalIDs(d.KeyIDs, top.Delegations.Keys), ", ")))
			continue
		}
		out = append(out, d.Name)
	}
	switch {
	case len(out) > 0:
		return out, nil
	case revoke:
		// Blame the roles that sign the tag, never one that merely could.
		return nil, st.notSigned(name)
	}
	return nil, &NoSigningKeysError{GUN: st.r.gun, Name: name, Needed: needed}
}

// notSigned is revoke's error for a tag that no role the user holds a key for signs.
func (st *state) notSigned(name string) error {
	return &NotSignedError{GUN: st.r.gun, Name: name, SignedIn: st.signedIn(name)}
}

// NotSignedError: revoke found no role the user holds a key for that signs Name.
type NotSignedError struct {
	GUN, Name string
	// SignedIn says where the tag is signed, with the keys that could revoke it there.
	SignedIn string
}

func (e *NotSignedError) Error() string {
	return fmt.Sprintf("tag %s is not signed in any role you hold a key for in %s%s", e.Name, e.GUN, e.SignedIn)
}

// signedIn says where a tag is signed, with the keys that could revoke it there.
func (st *state) signedIn(name string) string {
	var where []string
	for _, role := range slices.Sorted(maps.Keys(st.targets)) {
		if t := st.targets[role]; t == nil || !hasTarget(t, name) {
			continue
		}
		if ids, pubs, _, ok := st.roleKeys(role); ok {
			role = fmt.Sprintf("%s (keys %s)", role, strings.Join(canonicalIDs(ids, pubs), ", "))
		}
		where = append(where, role)
	}
	if len(where) == 0 {
		return "; no role signs it"
	}
	return "; it is signed in " + strings.Join(where, ", ")
}

func hasTarget(t *tuf.Targets, name string) bool {
	_, ok := t.Targets[name]
	return ok
}

func canonicalIDs(ids []string, pubs map[string]tuf.PublicKey) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, canonicalID(pubs, id))
	}
	return out
}

// canonicalID is the canonical ID of the key id of pubs, or id when it has none.
func canonicalID(pubs map[string]tuf.PublicKey, id string) string {
	if cid, err := pubs[id].CanonicalID(); err == nil {
		return cid
	}
	return id
}

// AddDelegation delegates role (targets/<name>…) to keys with paths, creating it with
// threshold 1 or adding keys and paths to it. Nil paths keep an existing role's paths,
// as `notary delegation add` does without --paths, so adding a key never widens a
// restricted role; a new role gets all paths, as `docker trust signer add` gives. With
// releases, the keys are added to targets/releases as well, as docker does.
func (r *Repository) AddDelegation(ctx context.Context, role string, keys []tuf.PublicKey, paths []string, releases bool) error {
	if !tuf.IsDelegation(role) {
		return fmt.Errorf("invalid delegation name %q: targets/<name> of lower-case letters, digits, -, _", role)
	}
	if len(keys) == 0 {
		return fmt.Errorf("delegation %s: no keys given", role)
	}
	return r.change(ctx, true, func(st *state) error {
		// releases first: a new releases role is then listed before the team role.
		if releases && role != ReleasesRole && path.Dir(role) == tuf.RoleTargets {
			if err := st.delegate(ReleasesRole, keys, nil); err != nil {
				return err
			}
		}
		return st.delegate(role, keys, paths)
	})
}

func (st *state) delegate(role string, keys []tuf.PublicKey, paths []string) error {
	parentName := path.Dir(role)
	if parentName != tuf.RoleTargets {
		if _, ok := st.delegation(parentName); !ok {
			return fmt.Errorf("cannot delegate %s: its parent %s does not exist", role, parentName)
		}
	}
	_, exists := st.delegation(role)
	if paths == nil && !exists {
		paths = []string{""}
	}
	for _, p := range paths {
		if !allows(st.paths(parentName), p) {
			return fmt.Errorf("path %q of %s is outside the paths %q of %s", p, role, st.paths(parentName), parentName)
		}
	}
	parent, err := st.editTargets(parentName)
	if err != nil {
		return err
	}
	d, ok := st.delegation(role)
	if !ok {
		parent.Delegations.Roles = append(parent.Delegations.Roles, tuf.DelegationRole{Name: role, Threshold: 1, KeyIDs: []string{}})
		d = &parent.Delegations.Roles[len(parent.Delegations.Roles)-1]
		st.targets[role] = nil
	}
	for _, k := range keys {
		parent.Delegations.Keys[k.ID()] = k
		if !slices.Contains(d.KeyIDs, k.ID()) {
			d.KeyIDs = append(d.KeyIDs, k.ID())
		}
	}
	for _, p := range paths {
		if !slices.Contains(d.Paths, p) {
			d.Paths = append(d.Paths, p)
		}
	}
	return nil
}

// RemoveOptions say what RemoveDelegation removes and who confirms it.
type RemoveOptions struct {
	// KeyIDs (canonical or TUF IDs) removes only these keys from the role.
	KeyIDs []string
	// Releases makes the keys that leave a team role leave targets/releases too.
	Releases bool
	// Confirm, when set, is asked before anything is published if the removal leaves
	// tags unsigned (sorted); an error cancels the removal.
	Confirm func(unsigned []string) error
}

// RemoveDelegation deletes role with its subtree or, with opts.KeyIDs, only those keys
// from it. With opts.Releases, the keys that leave a team role (targets/<name>) leave
// targets/releases too, as `docker trust signer remove` intends, except those another
// team role still has: its members keep signing releases. Tags that would lose their
// last valid signature, because their role goes or its file no longer has enough
// signatures by its keys, go to opts.Confirm first, as docker asks before removing the
// last signer of released tags. It returns the canonical IDs removed from
// targets/releases.
func (r *Repository) RemoveDelegation(ctx context.Context, role string, opts RemoveOptions) ([]string, error) {
	keyIDs, releases := opts.KeyIDs, opts.Releases
	var fromReleases []string
	err := r.change(ctx, true, func(st *state) error {
		fromReleases = nil // f runs again on a newer state when another client published first
		before := st.signedTags()
		d, ok := st.delegation(role)
		if !ok {
			return fmt.Errorf("role %s does not exist in %s", role, st.r.gun)
		}
		parent, err := st.editTargets(path.Dir(role))
		if err != nil {
			return err
		}
		var leaving []string // canonical IDs
		if len(keyIDs) == 0 {
			leaving = canonicalIDs(d.KeyIDs, parent.Delegations.Keys)
			parent.Delegations.Roles = slices.DeleteFunc(parent.Delegations.Roles, func(x tuf.DelegationRole) bool { return x.Name == role })
			for name := range st.targets {
				if name == role || strings.HasPrefix(name, role+"/") {
					st.removed[name] = true
					delete(st.targets, name)
				}
			}
		} else {
			for _, want := range keyIDs {
				// Either form of the ID, or a unique prefix of one, names the key.
				forms := append(slices.Clone(d.KeyIDs), canonicalIDs(d.KeyIDs, parent.Delegations.Keys)...)
				full, err := tuf.ResolveKeyID(want, forms)
				if err != nil {
					return fmt.Errorf("key %s of %s: %w", want, role, err)
				}
				i := slices.IndexFunc(d.KeyIDs, func(id string) bool {
					return full != "" && (id == full || canonicalID(parent.Delegations.Keys, id) == full)
				})
				if i < 0 {
					return fmt.Errorf("key %s is not a key of %s in %s", want, role, st.r.gun)
				}
				leaving = append(leaving, canonicalID(parent.Delegations.Keys, d.KeyIDs[i]))
				d.KeyIDs = slices.Delete(d.KeyIDs, i, i+1)
			}
		}
		if releases && role != ReleasesRole && path.Dir(role) == tuf.RoleTargets {
			fromReleases = st.leaveReleases(leaving)
		}
		pruneKeys(&parent.Delegations)
		if lost := st.lostTags(before); len(lost) > 0 && opts.Confirm != nil {
			return opts.Confirm(lost)
		}
		return nil
	})
	return fromReleases, err
}

// leaveReleases removes the keys (canonical IDs) from targets/releases unless a team
// role (a direct delegation of targets) still has them, and returns those removed.
func (st *state) leaveReleases(leaving []string) []string {
	rel, ok := st.delegation(ReleasesRole)
	if !ok {
		return nil
	}
	top := st.targets[tuf.RoleTargets]
	kept := map[string]bool{}
	for _, d := range top.Delegations.Roles {
		if d.Name != ReleasesRole {
			for _, cid := range canonicalIDs(d.KeyIDs, top.Delegations.Keys) {
				kept[cid] = true
			}
		}
	}
	var removed []string
	rel.KeyIDs = slices.DeleteFunc(rel.KeyIDs, func(id string) bool {
		cid := canonicalID(top.Delegations.Keys, id)
		if kept[cid] || !slices.Contains(leaving, cid) {
			return false
		}
		removed = append(removed, cid)
		return true
	})
	if len(removed) > 0 && len(rel.KeyIDs) == 0 {
		st.r.log.Warn("targets/releases has no keys left: clients skip it until a signer is added again", "repository", st.r.gun)
	}
	return removed
}

// pruneKeys drops the keys no role of a delegations list uses, as notary does.
func pruneKeys(d *tuf.Delegations) {
	for id := range d.Keys {
		if !slices.ContainsFunc(d.Roles, func(x tuf.DelegationRole) bool { return slices.Contains(x.KeyIDs, id) }) {
			delete(d.Keys, id)
		}
	}
}

// RotateKey replaces the key of a base role and publishes the new root. root gets a
// new key and certificate and the new root is signed by the old and the new key;
// targets and a local snapshot get new keys in the trust dir; with serverManaged the
// server makes the new snapshot key, and the trust dir's old snapshot key is deleted
// once published; timestamp keys are always the server's. It returns the new key.
func (r *Repository) RotateKey(ctx context.Context, role string, serverManaged bool) (tuf.PublicKey, error) {
	switch {
	case role == tuf.RoleTimestamp:
		serverManaged = true
	case serverManaged && role != tuf.RoleSnapshot:
		return tuf.PublicKey{}, fmt.Errorf("the server manages only snapshot and timestamp keys, not %s", role)
	case role != tuf.RoleRoot && role != tuf.RoleTargets && role != tuf.RoleSnapshot:
		return tuf.PublicKey{}, fmt.Errorf("cannot rotate the key of %q: want root, targets, snapshot or timestamp", role)
	}
	var pub tuf.PublicKey
	var oldLocal []string
	err := r.change(ctx, false, func(st *state) error {
		if serverManaged && role == tuf.RoleSnapshot {
			rk := st.root.Roles[tuf.RoleSnapshot]
			oldLocal = slices.DeleteFunc(canonicalIDs(rk.KeyIDs, st.root.Keys), func(id string) bool { return st.held[id].ID == "" })
		}
		var err error
		if pub, err = r.newKey(ctx, st, role, serverManaged); err != nil {
			return fmt.Errorf("new %s key for %s: %w", role, r.gun, err)
		}
		st.setRootRole(role, pub)
		if role == tuf.RoleTargets {
			_, err = st.editTargets(tuf.RoleTargets)
		}
		return err
	})
	if err != nil {
		return tuf.PublicKey{}, err
	}
	for _, id := range oldLocal {
		if err := r.keys.Remove(id); err != nil {
			r.log.Warn("the old snapshot key could not be deleted", "key", id, "error", err)
		}
	}
	return pub, nil
}

// newKey makes the new key of a rotation: on the server, or in the trust dir (for
// root with a certificate for the GUN).
func (r *Repository) newKey(ctx context.Context, st *state, role string, serverManaged bool) (tuf.PublicKey, error) {
	if serverManaged {
		return r.remote.RotateKey(ctx, role)
	}
	info, pub, err := r.keys.Generate(role, r.gun)
	if err != nil {
		return tuf.PublicKey{}, err
	}
	st.held[info.ID] = info
	if role != tuf.RoleRoot {
		return pub, nil
	}
	s, err := r.newRootSigner(info.ID, r.now())
	if err != nil {
		return tuf.PublicKey{}, err
	}
	return s.PublicKey(), nil
}

// Delegation is a delegated role as `notary delegation list` shows it.
type Delegation struct {
	Role      string
	Paths     []string
	KeyIDs    []string // canonical IDs
	Threshold int
}

// Delegations lists the delegations of a verified repository, depth-first.
func Delegations(meta *tuf.Repository) []Delegation {
	var out []Delegation
	var walk func(*tuf.TargetsRole)
	walk = func(tr *tuf.TargetsRole) {
		for _, c := range tr.Children {
			out = append(out, Delegation{Role: c.Name, Paths: c.Paths, KeyIDs: canonicalIDs(c.KeyIDs, c.Keys), Threshold: c.Threshold})
			walk(c)
		}
	}
	walk(meta.Targets)
	return out
}
