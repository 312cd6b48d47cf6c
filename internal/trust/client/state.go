package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// state is a repository being changed: the verified metadata (or, before the first
// publish, what init cached), the changes made to it and what must be re-signed.
type state struct {
	r        *Repository
	root     *tuf.Root
	targets  map[string]*tuf.Targets // by role; nil entry: delegated, no file yet
	snapshot *tuf.Snapshot           // nil when the server has never had one
	raw      map[string][]byte       // current file bytes by role
	// published is false before the first publish: root and targets are sent then.
	published bool
	// oldRoot is the root role before a key change: the new root must carry its
	// signatures too, so that clients trusting it accept the new one.
	oldRoot     *tuf.RoleKeys
	rootChanged bool
	changed     map[string]bool
	removed     map[string]bool
	held        map[string]keys.Info // private keys of the trust dir by canonical ID
	signers     map[string]*tuf.Signer
}

// load reads the repository to change: the server's current trust data, verified, or
// the cached output of init when the server has none yet.
func (r *Repository) load(ctx context.Context) (*state, error) {
	held, err := r.heldKeys()
	if err != nil {
		return nil, err
	}
	st := &state{r: r, targets: map[string]*tuf.Targets{}, raw: map[string][]byte{},
		changed: map[string]bool{}, removed: map[string]bool{}, held: held, signers: map[string]*tuf.Signer{}}
	// Like notary, ask for root.json first: a 404 means this is the first publish.
	_, err = r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
	if errors.Is(err, server.ErrNotFound) {
		return st, st.loadLocal()
	}
	if err != nil {
		return nil, err
	}
	f, err := r.update(ctx)
	if err != nil {
		return nil, err
	}
	st.published = true
	st.root = f.meta.Root
	st.snapshot = f.meta.Snapshot
	for _, role := range []string{tuf.RoleRoot, tuf.RoleSnapshot} {
		if st.raw[role], err = f.src.Read(role, tuf.MaxRootSize); err != nil {
			return nil, err
		}
	}
	var walk func(*tuf.TargetsRole) error
	walk = func(tr *tuf.TargetsRole) error {
		if tr.Err == nil {
			st.targets[tr.Name] = tr.Signed
			if tr.Signed != nil {
				if st.raw[tr.Name], err = f.src.Read(tr.Name, f.meta.Snapshot.Meta[tr.Name].Length); err != nil {
					return err
				}
			}
		}
		for _, c := range tr.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return st, walk(f.meta.Targets)
}

// loadLocal reads what init cached for the first publish: root, targets and, with a
// local snapshot key, snapshot. They were signed here; the root is still verified
// against itself so that a damaged cache is not published.
func (st *state) loadLocal() error {
	r := st.r
	mdir, err := r.dir.MetadataDir(r.gun)
	if err != nil {
		return err
	}
	cache := repo.DirSource(mdir)
	notInit := fmt.Errorf("%w: the server has no trust data for %s and the trust dir none to publish; run trustctl init %s", ErrNotInitialized, r.gun, r.gun)
	for _, role := range []string{tuf.RoleRoot, tuf.RoleTargets, tuf.RoleSnapshot} {
		b, err := cache.Read(role, tuf.MaxRootSize)
		switch {
		case errors.Is(err, fs.ErrNotExist) && role == tuf.RoleSnapshot:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return notInit
		case err != nil:
			return err
		}
		st.raw[role] = b
	}
	st.root = new(tuf.Root)
	st.targets[tuf.RoleTargets] = new(tuf.Targets)
	if !peek(st.raw[tuf.RoleRoot], st.root) || !peek(st.raw[tuf.RoleTargets], st.targets[tuf.RoleTargets]) {
		return fmt.Errorf("the cached trust data of %s that init made is damaged; remove %s and run trustctl init again", r.gun, mdir)
	}
	if _, err := tuf.Verify(r.gun, rootOnly(st.raw[tuf.RoleRoot]), tuf.VerifyOptions{Now: r.now()}); err != nil {
		var ve *tuf.VerifyError
		if !errors.As(err, &ve) || ve.Role == tuf.RoleRoot {
			return err
		}
	}
	if b, ok := st.raw[tuf.RoleSnapshot]; ok {
		st.snapshot = new(tuf.Snapshot)
		peek(b, st.snapshot)
	}
	st.changed[tuf.RoleTargets] = true
	return nil
}

// rootOnly is a source holding nothing but a root, to verify the root alone.
type rootOnly []byte

func (s rootOnly) Read(name string, _ int64) ([]byte, error) {
	if name == tuf.RoleRoot {
		return s, nil
	}
	return nil, fs.ErrNotExist
}

func (rootOnly) RootVersions() ([]int, error) { return nil, nil }

// heldKeys lists the private keys of the trust dir by canonical ID.
func (r *Repository) heldKeys() (map[string]keys.Info, error) {
	list, err := r.keys.List()
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	held := make(map[string]keys.Info, len(list))
	for _, k := range list {
		held[k.ID] = k
	}
	return held, nil
}

// roleKeys returns a role's keys and threshold: from root for base roles, from the
// parent's delegations for delegated roles. ok is false for an unknown delegation.
func (st *state) roleKeys(role string) (ids []string, keys map[string]tuf.PublicKey, threshold int, ok bool) {
	if !tuf.IsDelegation(role) {
		rk, ok := st.root.Roles[role]
		return rk.KeyIDs, st.root.Keys, rk.Threshold, ok
	}
	parent := st.targets[path.Dir(role)]
	if parent == nil {
		return nil, nil, 0, false
	}
	for _, d := range parent.Delegations.Roles {
		if d.Name == role {
			return d.KeyIDs, parent.Delegations.Keys, d.Threshold, true
		}
	}
	return nil, nil, 0, false
}

// delegation returns a delegated role's entry in its parent.
func (st *state) delegation(role string) (*tuf.DelegationRole, bool) {
	parent := st.targets[path.Dir(role)]
	if parent == nil {
		return nil, false
	}
	for i := range parent.Delegations.Roles {
		if parent.Delegations.Roles[i].Name == role {
			return &parent.Delegations.Roles[i], true
		}
	}
	return nil, false
}

// paths are a role's effective path prefixes: its own restricted to its ancestors'.
func (st *state) paths(role string) []string {
	if role == tuf.RoleTargets {
		return []string{""}
	}
	d, ok := st.delegation(role)
	if !ok {
		return nil
	}
	parent := st.paths(path.Dir(role))
	var out []string
	for _, p := range d.Paths {
		if slices.ContainsFunc(parent, func(pp string) bool { return strings.HasPrefix(p, pp) }) {
			out = append(out, p)
		}
	}
	return out
}

func allows(paths []string, name string) bool {
	return slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(name, p) })
}

// holds tells whether the trust dir has a private key of role.
func (st *state) holds(role string) bool {
	ids, keys, _, ok := st.roleKeys(role)
	if !ok {
		return false
	}
	for _, id := range ids {
		if cid, err := keys[id].CanonicalID(); err == nil && st.held[cid].ID != "" {
			return true
		}
	}
	return false
}

// signersFor decrypts the trust dir's keys of role (each once per state); there must
// be at least threshold of them.
func (st *state) signersFor(role string, ids []string, pubs map[string]tuf.PublicKey, threshold int) ([]*tuf.Signer, error) {
	var out []*tuf.Signer
	var missing []string
	for _, id := range ids {
		pub := pubs[id]
		cid, err := pub.CanonicalID()
		if err != nil {
			return nil, fmt.Errorf("key %s of %s: %w", id, role, err)
		}
		if st.held[cid].ID == "" {
			missing = append(missing, cid)
			continue
		}
		s, ok := st.signers[id]
		if !ok {
			priv, _, err := st.r.keys.PrivateKey(cid)
			if err != nil {
				return nil, fmt.Errorf("sign %s of %s with key %s: %w", role, st.r.gun, cid, err)
			}
			if s, err = tuf.NewSigner(priv, pub); err != nil {
				return nil, fmt.Errorf("sign %s of %s with key %s: %w", role, st.r.gun, cid, err)
			}
			st.signers[id] = s
		}
		out = append(out, s)
	}
	if len(out) < max(threshold, 1) {
		return nil, st.missingKey(role, missing, threshold)
	}
	return out, nil
}

// missingKey says which key a role needs and how to get it into the trust dir.
func (st *state) missingKey(role string, ids []string, threshold int) error {
	short := role
	if tuf.IsDelegation(role) {
		short = strings.TrimPrefix(role, tuf.RoleTargets+"/")
	}
	how := fmt.Sprintf("import it with `trustctl key import KEYFILE --role %s`", short)
	switch role {
	case tuf.RoleTargets, tuf.RoleSnapshot:
		how = fmt.Sprintf("import it with `trustctl key import KEYFILE --role %s --gun %s`", role, st.r.gun)
	case tuf.RoleRoot:
		how = "import it with `trustctl key import KEYFILE --role root`"
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: role %s of %s has no keys", keys.ErrKeyNotFound, role, st.r.gun)
	}
	return fmt.Errorf("%w: signing %s of %s needs %d of the private keys %s, not in the trust dir; %s",
		keys.ErrKeyNotFound, role, st.r.gun, max(threshold, 1), strings.Join(ids, ", "), how)
}

// editTargets returns the targets file of role for changing, creating the file of a
// delegation that has none yet.
func (st *state) editTargets(role string) (*tuf.Targets, error) {
	t, ok := st.targets[role]
	if !ok && role != tuf.RoleTargets {
		if _, ok := st.delegation(role); !ok {
			return nil, fmt.Errorf("role %s does not exist in %s", role, st.r.gun)
		}
	}
	if t == nil {
		t = &tuf.Targets{Common: tuf.Common{Type: "Targets"}}
		st.targets[role] = t
	}
	if t.Targets == nil {
		t.Targets = map[string]tuf.FileMeta{}
	}
	if t.Delegations.Keys == nil {
		t.Delegations.Keys = map[string]tuf.PublicKey{}
	}
	if t.Delegations.Roles == nil {
		t.Delegations.Roles = []tuf.DelegationRole{}
	}
	st.changed[role] = true
	return t, nil
}

// setRootRole replaces the keys of a base role in root; replaced keys that no role
// uses any more leave the root, except root certificates, which notary keeps.
func (st *state) setRootRole(role string, pubs ...tuf.PublicKey) {
	if !st.rootChanged {
		st.root.Keys = maps.Clone(st.root.Keys)
		st.root.Roles = maps.Clone(st.root.Roles)
	}
	if role == tuf.RoleRoot && st.oldRoot == nil {
		old := st.root.Roles[tuf.RoleRoot]
		st.oldRoot = &old
	}
	old := st.root.Roles[role]
	ids := make([]string, 0, len(pubs))
	for _, p := range pubs {
		st.root.Keys[p.ID()] = p
		ids = append(ids, p.ID())
	}
	st.root.Roles[role] = tuf.RoleKeys{KeyIDs: ids, Threshold: 1}
	st.rootChanged = true
	if role == tuf.RoleRoot {
		return
	}
	for _, id := range old.KeyIDs {
		used := false
		for _, rk := range st.root.Roles {
			used = used || slices.Contains(rk.KeyIDs, id)
		}
		if !used {
			delete(st.root.Keys, id)
		}
	}
}
