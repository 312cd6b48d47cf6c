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
	"sync"

	"github.com/trustctl/trustctl/internal/trust/repo"
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
		for role, v := range r.floors(repo.DirSource(mdir)) {
			if g, ok := got[role]; ok && g < v {
				r.log.Debug("the cache is newer than this fetch; kept", "repository", r.gun, "role", role)
				return nil
			}
		}
		return r.save(f)
	})
}

// FetchAll fetches repositories as Fetch does, several at once; the results are in the
// order of repos. done, when not nil, is called as each one ends (for progress).
func FetchAll(ctx context.Context, repos []*Repository, done func()) ([]*tuf.Repository, []error) {
	metas := make([]*tuf.Repository, len(repos))
	errs := make([]error, len(repos))
	parallel(len(repos), func(i int) {
		metas[i], errs[i] = repos[i].Fetch(ctx)
		if done != nil {
			done()
		}
	})
	return metas, errs
}

// maxParallel bounds the downloads at once: repositories of FetchAll, files of one
// level of a targets tree.
const maxParallel = 8

// parallel runs f(0) … f(n-1), at most maxParallel at once, and waits for them all.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallel)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
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
	cache := repo.DirSource(mdir)
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
func (r *Repository) floors(cache repo.DirSource) tuf.Versions {
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
		b, err := r.fetchFile(ctx, src, tuf.RoleSnapshot, ts.Meta[tuf.RoleSnapshot])
		if err != nil {
			return nil, err
		}
		src.add(tuf.RoleSnapshot, b)
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

// fetchTargets downloads the targets tree a level at a time, each file the snapshot
// names and its parent delegates to; the files of a level are downloaded concurrently
// and added to src once all of them are in. A delegation that cannot be downloaded is
// left to verification, which refuses it alone.
func (r *Repository) fetchTargets(ctx context.Context, src *overlay, meta map[string]tuf.FileMeta) error {
	if _, ok := meta[tuf.RoleTargets]; !ok {
		return nil
	}
	seen := map[string]bool{tuf.RoleTargets: true}
	for level := []string{tuf.RoleTargets}; len(level) > 0; {
		got := make([][]byte, len(level))
		errs := make([]error, len(level))
		parallel(len(level), func(i int) { got[i], errs[i] = r.fetchFile(ctx, src, level[i], meta[level[i]]) })
		var next []string
		for i, role := range level {
			if errs[i] != nil {
				if role == tuf.RoleTargets {
					return errs[i]
				}
				r.log.Warn("delegation not downloaded", "repository", r.gun, "role", role, "error", errs[i])
				continue
			}
			src.add(role, got[i])
			var t tuf.Targets
			if b, err := src.Read(role, meta[role].Length); err != nil || !peek(b, &t) {
				continue
			}
			for _, d := range t.Delegations.Roles {
				if _, named := meta[d.Name]; named && path.Dir(d.Name) == role && !seen[d.Name] {
					seen[d.Name] = true
					next = append(next, d.Name)
				}
			}
		}
		level = next
	}
	return nil
}

// fetchFile downloads a role's file by its sha256; it returns nil when the copy at hand
// matches m or m names no file. It only reads src, so that downloads run concurrently.
func (r *Repository) fetchFile(ctx context.Context, src *overlay, role string, m tuf.FileMeta) ([]byte, error) {
	if m.Length <= 0 {
		return nil, nil
	}
	if b, err := src.Read(role, m.Length); err == nil && m.Check(b) == nil {
		return nil, nil
	}
	h := m.Hashes[tuf.HashSHA256]
	if len(h) == 0 {
		return nil, nil
	}
	return r.remote.GetByChecksum(ctx, role, hex.EncodeToString(h), m.Length)
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
