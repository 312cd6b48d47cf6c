package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// conflictRetries bounds how often a change is redone on top of what another client
// published in the meantime.
const conflictRetries = 2

// change runs f on the repository as it is on the server (or as init left it), then
// signs and publishes what f changed in one request and refreshes the cache. With
// redo, a publish the server refuses as not newer (another client published first) is
// redone: f runs again on the new state. Only changes that mean the same on any state
// (adding a tag, a key) may be redone.
func (r *Repository) change(ctx context.Context, redo bool, f func(*state) error) error {
	return r.locked(func() error {
		signers := map[string]*tuf.Signer{} // keys are decrypted once, whatever the attempts
		for attempt := 0; ; attempt++ {
			err := r.publish(ctx, signers, f)
			var se *server.Error
			if !redo || attempt == conflictRetries || !errors.As(err, &se) || se.Code != "VERSION" {
				return err
			}
			r.log.Info("another client published first; applying the change again on top", "repository", r.gun)
		}
	})
}

func (r *Repository) publish(ctx context.Context, signers map[string]*tuf.Signer, f func(*state) error) error {
	st, err := r.load(ctx)
	if err != nil {
		return err
	}
	st.signers = signers
	if err := f(st); err != nil {
		return err
	}
	files, err := st.sign(ctx)
	if err != nil {
		return err
	}
	if err := r.remote.Publish(ctx, files); err != nil {
		return err
	}
	// The server made a new timestamp (and maybe snapshot): read it back so that the
	// cache serves offline reads. The publish stands if this fails.
	fresh, err := r.update(ctx)
	if err == nil {
		err = r.save(fresh)
	}
	if err != nil {
		r.log.Warn("published, but the trust dir's cache was not refreshed; run trustctl fetch", "repository", r.gun, "error", err)
	}
	return nil
}

// sign signs everything that changed, as notary's publish does (SPEC 7.2): the root
// when its keys changed (by the old and the new root keys) or it expires within six
// months, every changed targets
// file, and the snapshot when the trust dir holds its key; otherwise the server makes
// the snapshot. Versions go up by one (a new delegation file goes above the server's
// file of that name), expiries are notary's defaults from now.
func (st *state) sign(ctx context.Context) (map[string][]byte, error) {
	now := st.r.now()
	files := map[string][]byte{}
	// Like notary, renew a root about to expire whenever publishing anyway.
	if st.published && !st.rootChanged && st.root.Expires.Before(now.Add(rootRenewWithin)) {
		if st.holds(tuf.RoleRoot) {
			st.rootChanged = true
		} else {
			st.r.log.Warn("the root expires soon and the trust dir has no root key to renew it", "repository", st.r.gun, "expires", st.root.Expires)
		}
	}
	switch {
	case st.rootChanged:
		root := *st.root
		root.Version++
		root.Expires = now.Add(rootExpiry)
		rk := root.Roles[tuf.RoleRoot]
		signers, err := st.signersFor(tuf.RoleRoot, rk.KeyIDs, root.Keys, rk.Threshold)
		if err != nil {
			return nil, err
		}
		if old := st.oldRoot; old != nil {
			more, err := st.signersFor(tuf.RoleRoot, old.KeyIDs, root.Keys, old.Threshold)
			if err != nil {
				return nil, fmt.Errorf("the new root must be signed by the current root key too: %w", err)
			}
			for _, s := range more {
				if !slices.Contains(signers, s) {
					signers = append(signers, s)
				}
			}
		}
		b, err := signFile(tuf.RoleRoot, &root, signers)
		if err != nil {
			return nil, err
		}
		*st.root = root
		files[tuf.RoleRoot], st.raw[tuf.RoleRoot] = b, b
	case !st.published:
		files[tuf.RoleRoot] = st.raw[tuf.RoleRoot]
	}
	for _, role := range slices.Sorted(maps.Keys(st.changed)) {
		t := st.targets[role]
		if st.removed[role] || t == nil {
			continue
		}
		ids, pubs, threshold, ok := st.roleKeys(role)
		if !ok {
			return nil, fmt.Errorf("role %s does not exist in %s", role, st.r.gun)
		}
		signers, err := st.signersFor(role, ids, pubs, threshold)
		if err != nil {
			return nil, err
		}
		if t.Version == 0 {
			// A delegation deleted and created again: the server keeps its old files
			// and refuses a version not above them.
			if t.Version, err = st.r.storedVersion(ctx, role); err != nil {
				return nil, err
			}
		}
		t.Type = "Targets"
		t.Version++
		t.Expires = now.Add(targetsExpiry)
		b, err := signFile(role, t, signers)
		if err != nil {
			return nil, err
		}
		files[role], st.raw[role] = b, b
	}
	if !st.holds(tuf.RoleSnapshot) {
		return files, nil
	}
	sn := &tuf.Snapshot{Common: tuf.Common{Type: "Snapshot"}, Meta: map[string]tuf.FileMeta{}}
	if st.snapshot != nil {
		sn.Version = st.snapshot.Version
		maps.Copy(sn.Meta, st.snapshot.Meta)
	}
	for role := range st.removed {
		delete(sn.Meta, role)
	}
	for _, role := range append([]string{tuf.RoleRoot, tuf.RoleTargets}, slices.Collect(maps.Keys(st.changed))...) {
		if b, ok := st.raw[role]; ok && !st.removed[role] {
			sn.Meta[role] = tuf.NewFileMeta(b)
		}
	}
	sn.Version++
	sn.Expires = now.Add(snapshotExpiry)
	rk := st.root.Roles[tuf.RoleSnapshot]
	signers, err := st.signersFor(tuf.RoleSnapshot, rk.KeyIDs, st.root.Keys, rk.Threshold)
	if err != nil {
		return nil, err
	}
	b, err := signFile(tuf.RoleSnapshot, sn, signers)
	if err != nil {
		return nil, err
	}
	files[tuf.RoleSnapshot] = b
	return files, nil
}

// storedVersion is the version of the server's current file of role, 0 when there is
// none. The file is not verified: its version is only a number to go above.
func (r *Repository) storedVersion(ctx context.Context, role string) (int, error) {
	b, err := r.remote.GetCurrent(ctx, role, 0)
	if errors.Is(err, server.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("version of %s of %s on the server: %w", role, r.gun, err)
	}
	var c tuf.Common
	if !peek(b, &c) {
		return 0, fmt.Errorf("version of %s of %s on the server: not a metadata file", role, r.gun)
	}
	return c.Version, nil
}

func signFile(role string, meta tuf.Metadata, signers []*tuf.Signer) ([]byte, error) {
	env, err := tuf.Sign(role, meta, signers...)
	if err != nil {
		return nil, err
	}
	return env.MarshalFile()
}
