package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// fetched is a verified repository with the bytes of its files.
type fetched struct {
	meta *tuf.Repository
	src  *overlay
}

// Fetch downloads the repository's trust data, verifies it and writes the cache for
// offline reads. Nothing is written unless everything verified. Downloads run without
// the trust dir's lock, so that repositories are fetched in parallel; the write holds
// it and keeps a cache that another process made newer meanwhile.
func (r *Repository) Fetch(ctx context.Context) (*tuf.Repository, error) {
	f, err := r.update(ctx)
	if err != nil {
		return nil, err
	}
	return f.meta, r.locked(func() error {
		mdir, err := r.dir.MetadataDir(r.gun)
		if err != nil {
			return err
		}
		got := versionsOf(f.meta)
		for role, v := range r.floors(cacheDir(mdir)) {
			if g, ok := got[role]; ok && g < v {
				r.log.Debug("the cache is newer than this fetch; kept", "repository", r.gun, "role", role)
				return nil
			}
		}
		return r.save(f)
	})
}

// save writes the files of the verified state into the cache, with a copy of the root
// as N.root.json for the rotation chain. All of them are written, not only the
// downloads: the cached ones may have changed since they were read.
func (r *Repository) save(f *fetched) error {
	mdir, err := r.dir.MetadataDir(r.gun)
	if err != nil {
		return err
	}
	files := f.src.read
	files[versionedRoot(f.meta.Root.Version)] = files[tuf.RoleRoot]
	return writeCache(mdir, files, false)
}

// update runs notary's update sequence (SPEC 6.3) without writing anything: the
// timestamp, then the snapshot and every targets file it names by hash, reusing cached
// files whose hashes match; then tuf.Verify over the cache with the downloads laid
// over it, with the cached versions as floors. When that fails, the newest root is
// fetched with the versions between it and the cached one, and the sequence runs once
// more. ErrNotInitialized means the server has no trust data and nothing is cached.
func (r *Repository) update(ctx context.Context) (*fetched, error) {
	mdir, err := r.dir.MetadataDir(r.gun)
	if err != nil {
		return nil, err
	}
	cache := cacheDir(mdir)
	floors := r.floors(cache)
	src := newOverlay(cache)
	trusted, err := cache.Read(tuf.RoleRoot, tuf.MaxRootSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		raw, err := r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
		if errors.Is(err, server.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrNotInitialized, err)
		}
		if err != nil {
			return nil, err
		}
		src.files[tuf.RoleRoot] = raw
	case err != nil:
		return nil, fmt.Errorf("read cached root of %s: %w", r.gun, err)
	}
	meta, err := r.download(ctx, src, floors)
	var ve *tuf.VerifyError
	if err == nil || trusted == nil || !errors.As(err, &ve) {
		return &fetched{meta: meta, src: src}, err
	}
	rotated, rerr := r.updateRoot(ctx, src, trusted)
	if rerr != nil {
		return nil, fmt.Errorf("%w; looking for a new root: %w", err, rerr)
	}
	if !rotated {
		return nil, err
	}
	meta, err = r.download(ctx, src, floors)
	return &fetched{meta: meta, src: src}, err
}

// floors are the versions of the cache, if it verifies (expired or not): anything
// older downloaded is a rollback.
func (r *Repository) floors(cache cacheDir) tuf.Versions {
	meta, err := tuf.Verify(r.gun, cache, tuf.VerifyOptions{Now: r.now(), AllowExpired: true})
	if err != nil {
		return nil
	}
	return versionsOf(meta)
}

func versionsOf(meta *tuf.Repository) tuf.Versions {
	v := tuf.Versions{
		tuf.RoleRoot:      meta.Root.Version,
		tuf.RoleTimestamp: meta.Timestamp.Version,
		tuf.RoleSnapshot:  meta.Snapshot.Version,
	}
	var walk func(*tuf.TargetsRole)
	walk = func(tr *tuf.TargetsRole) {
		if tr.Signed != nil && tr.Err == nil {
			v[tr.Name] = tr.Signed.Version
		}
		for _, c := range tr.Children {
			walk(c)
		}
	}
	walk(meta.Targets)
	return v
}

// download fetches the timestamp and what it leads to into src, then verifies src.
func (r *Repository) download(ctx context.Context, src *overlay, floors tuf.Versions) (*tuf.Repository, error) {
	raw, err := r.remote.GetCurrent(ctx, tuf.RoleTimestamp, tuf.MaxTimestampSize)
	if err != nil {
		return nil, err
	}
	src.files[tuf.RoleTimestamp] = raw
	// Unverified reads only decide what to download; tuf.Verify judges it all.
	var ts tuf.Timestamp
	if peek(raw, &ts) {
		if err := r.fetchFile(ctx, src, tuf.RoleSnapshot, ts.Meta[tuf.RoleSnapshot]); err != nil {
			return nil, err
		}
	}
	var sn tuf.Snapshot
	if b, err := src.Read(tuf.RoleSnapshot, ts.Meta[tuf.RoleSnapshot].Length); err == nil && peek(b, &sn) {
		if err := r.fetchTargets(ctx, src, sn.Meta); err != nil {
			return nil, err
		}
	}
	src.forget()
	return tuf.Verify(r.gun, src, tuf.VerifyOptions{Now: r.now(), Pin: r.opts.Pin, Trusted: floors})
}

// fetchTargets downloads the targets tree depth-first as notary does, each file the
// snapshot names and its parent delegates to. A delegation that cannot be downloaded
// is left to verification, which refuses it alone.
func (r *Repository) fetchTargets(ctx context.Context, src *overlay, meta map[string]tuf.FileMeta) error {
	queue := []string{tuf.RoleTargets}
	seen := map[string]bool{}
	for len(queue) > 0 {
		role := queue[0]
		queue = queue[1:]
		m, ok := meta[role]
		if !ok || seen[role] {
			continue
		}
		seen[role] = true
		if err := r.fetchFile(ctx, src, role, m); err != nil {
			if role == tuf.RoleTargets {
				return err
			}
			r.log.Warn("delegation not downloaded", "repository", r.gun, "role", role, "error", err)
			continue
		}
		var t tuf.Targets
		b, err := src.Read(role, m.Length)
		if err != nil || !peek(b, &t) {
			continue
		}
		var children []string
		for _, d := range t.Delegations.Roles {
			if path.Dir(d.Name) == role {
				children = append(children, d.Name)
			}
		}
		queue = append(children, queue...)
	}
	return nil
}

// fetchFile downloads a role's file by its sha256 unless the copy at hand matches m.
func (r *Repository) fetchFile(ctx context.Context, src *overlay, role string, m tuf.FileMeta) error {
	if m.Length <= 0 {
		return nil
	}
	if b, err := src.Read(role, m.Length); err == nil && m.Check(b) == nil {
		return nil
	}
	h := m.Hashes[tuf.HashSHA256]
	if len(h) == 0 {
		return nil
	}
	b, err := r.remote.GetByChecksum(ctx, role, hex.EncodeToString(h), m.Length)
	if err != nil {
		return err
	}
	src.files[role] = b
	return nil
}

// peek decodes the "signed" part of a file without verifying it.
func peek(file []byte, v any) bool {
	env, err := tuf.ParseEnvelope(file)
	return err == nil && json.Unmarshal(env.Signed, v) == nil
}

// updateRoot fetches the newest root and, when it is newer than the trusted one, the
// versions in between into src, for tuf.Verify to walk the chain from the trusted root.
func (r *Repository) updateRoot(ctx context.Context, src *overlay, trusted []byte) (bool, error) {
	newest, err := r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
	if err != nil {
		return false, err
	}
	var old, cur tuf.Common
	if bytes.Equal(newest, trusted) || !peek(trusted, &old) || !peek(newest, &cur) || cur.Version <= old.Version {
		return false, nil
	}
	src.files[tuf.RoleRoot] = newest
	if _, err := src.cache.Read(versionedRoot(old.Version), tuf.MaxRootSize); err != nil {
		src.files[versionedRoot(old.Version)] = trusted
	}
	for v := old.Version + 1; v < cur.Version; v++ {
		b, err := r.remote.GetByVersion(ctx, tuf.RoleRoot, v, tuf.MaxRootSize)
		if err != nil {
			return false, err
		}
		src.files[versionedRoot(v)] = b
	}
	return true, nil
}
