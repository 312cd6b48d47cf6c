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
	"slices"
	"sync"

	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// fetched is a verified repository with the bytes of its files.
type fetched struct {
	meta *tuf.Repository
	src  *overlay
	// forgotten are the roles whose cached versions a new root's keys made moot (TUF
	// 5.3.11): the cache's newer versions of them do not stop the write.
	forgotten []string
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
			if g, ok := got[role]; ok && g < v && !slices.Contains(f.forgotten, role) {
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

// update runs notary's update sequence (SPEC 6.3, tufClient.Update) without writing
// anything: the timestamp, then the snapshot and every targets file it names by hash,
// reusing cached files whose hashes match; each file is verified before any length it
// states is used, and tuf.Verify judges the whole over the cache with the downloads
// laid over it, with the cached versions as floors. When that fails, the newest root is
// fetched with the versions between it and the cached one, and the sequence runs once
// more, as notary does. ErrNotInitialized means the server has no trust data and
// nothing is cached.
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
		if err := r.firstRoot(ctx, src); err != nil {
			return nil, err
		}
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
	forgotten := fastForwardRecovery(trusted, src.files[tuf.RoleRoot], floors)
	meta, err = r.download(ctx, src, floors)
	return &fetched{meta: meta, src: src, forgotten: forgotten}, err
}

// firstRoot downloads the current root and, like notary on first contact, every
// version before it, so that the chain from version 1 is verified and a pin on a key
// of any of them decides the same as on a runner that has cached them all.
func (r *Repository) firstRoot(ctx context.Context, src *overlay) error {
	raw, err := r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
	if errors.Is(err, server.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotInitialized, err)
	}
	if err != nil {
		return err
	}
	src.files[tuf.RoleRoot] = raw
	var cur tuf.Common
	if !peek(raw, &cur) {
		return nil // tuf.Verify says what is wrong with it
	}
	return r.rootVersions(ctx, src, nil, 1, cur.Version)
}

// rootVersions downloads the roots of versions from to before into src as N.root. Each
// is verified against the one before it (trusted, when not nil, is version from-1)
// before the next is asked for, and together they stay within maxRootChainSize: the
// version an unverified root.json states decides neither memory nor time.
func (r *Repository) rootVersions(ctx context.Context, src *overlay, trusted []byte, from, before int) error {
	if before-from > maxRootVersions {
		return &tuf.VerifyError{GUN: r.gun, Role: tuf.RoleRoot, File: tuf.FileName(tuf.RoleRoot), Reason: tuf.ErrMalformed,
			Err: fmt.Errorf("version %d is more than %d versions after version %d", before, maxRootVersions, from-1)}
	}
	budget := int64(maxRootChainSize)
	prev := trusted
	for v := from; v < before; v++ {
		b, err := r.remote.GetByVersion(ctx, tuf.RoleRoot, v, min(budget, tuf.MaxRootSize))
		if err != nil {
			return fmt.Errorf("root version %d: %w", v, err)
		}
		budget -= int64(len(b))
		if prev != nil {
			if err := tuf.VerifyNextRoot(r.gun, prev, b, r.now()); err != nil {
				return err
			}
		}
		src.files[versionedRoot(v)] = b
		prev = b
	}
	return nil
}

// Bounds of a walk along the root chain: python-tuf's max_root_rotations is 256; real
// roots are a few KiB each.
const (
	maxRootVersions  = 256
	maxRootChainSize = 2 * tuf.MaxRootSize
)

// fastForwardRecovery forgets the trusted versions of the timestamp and snapshot roles
// whose keys the new root replaced (TUF 1.0 §5.3.11): the versions a compromised key
// pushed up must not lock the repository after the owner rotated it. notary keeps them,
// and so cannot recover; trustctl goes past it here on purpose (docs/design.md).
func fastForwardRecovery(trustedRoot, newRoot []byte, floors tuf.Versions) []string {
	var old, cur tuf.Root
	if !peek(trustedRoot, &old) || !peek(newRoot, &cur) {
		return nil
	}
	var forgotten []string
	for _, role := range []string{tuf.RoleTimestamp, tuf.RoleSnapshot} {
		if slices.Equal(sortedIDs(old.Roles[role].KeyIDs), sortedIDs(cur.Roles[role].KeyIDs)) {
			continue
		}
		// A new snapshot key makes the timestamp's record of the snapshot moot too.
		forgotten = append(forgotten, role)
		if role == tuf.RoleSnapshot && !slices.Contains(forgotten, tuf.RoleTimestamp) {
			forgotten = append(forgotten, tuf.RoleTimestamp)
		}
	}
	for _, role := range forgotten {
		delete(floors, role)
	}
	return forgotten
}

func sortedIDs(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
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

// download fetches the timestamp and what it leads to into src and verifies it, each
// file before a length or hash it states is used (notary's tufClient loads each file as
// it downloads it): an unsigned timestamp is refused before anything else is asked for.
// src records what verification read, for save.
func (r *Repository) download(ctx context.Context, src *overlay, floors tuf.Versions) (*tuf.Repository, error) {
	src.forget()
	raw, err := r.remote.GetCurrent(ctx, tuf.RoleTimestamp, tuf.MaxTimestampSize)
	if err != nil {
		return nil, err
	}
	src.files[tuf.RoleTimestamp] = raw
	u, err := tuf.Begin(r.gun, src, tuf.VerifyOptions{Now: r.now(), Pin: r.opts.Pin, Trusted: floors})
	if err != nil {
		return nil, err
	}
	ts, err := u.Timestamp()
	if err != nil {
		return nil, err
	}
	b, err := r.fetchFile(ctx, src, tuf.RoleSnapshot, ts.Meta[tuf.RoleSnapshot])
	if err != nil {
		return nil, err
	}
	src.add(tuf.RoleSnapshot, b)
	sn, err := u.Snapshot()
	if err != nil {
		return nil, err
	}
	if err := r.fetchTargets(ctx, src, sn.Meta); err != nil {
		return nil, err
	}
	meta, err := u.Targets()
	if err != nil {
		return nil, err
	}
	// A rolled-back delegation is an attack on the update, not one refused role: the
	// trusted cache stays as it is.
	if i := slices.IndexFunc(meta.Invalid, func(e *tuf.VerifyError) bool { return e.Reason == tuf.ErrRollback }); i >= 0 {
		return nil, meta.Invalid[i]
	}
	return meta, nil
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
				if role == tuf.RoleTargets || ctx.Err() != nil {
					return errs[i]
				}
				r.log.Warn("delegation not downloaded", "repository", r.gun, "role", role, "error", errs[i])
				continue
			}
			src.add(role, got[i])
			var t tuf.Targets
			if b, err := src.peek(role, meta[role].Length); err != nil || !peek(b, &t) {
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
	if m.Length > maxMetadataSize {
		return nil, &tuf.VerifyError{GUN: r.gun, Role: role, File: tuf.FileName(role), Reason: tuf.ErrLength,
			Err: fmt.Errorf("%w: %d bytes recorded, more than the %d a metadata file may have", tuf.ErrLength, m.Length, maxMetadataSize)}
	}
	if b, err := src.peek(role, m.Length); err == nil && m.Check(b) == nil {
		return nil, nil
	}
	h := m.Hashes[tuf.HashSHA256]
	if len(h) == 0 {
		return nil, nil
	}
	return r.remote.GetByChecksum(ctx, role, hex.EncodeToString(h), m.Length)
}

// maxMetadataSize bounds a snapshot or targets file even when verified metadata states
// more: notary's MaxDownloadSize.
const maxMetadataSize = 100 << 20

// peek decodes the "signed" part of a file without verifying it.
func peek(file []byte, v any) bool {
	env, err := tuf.ParseEnvelope(file)
	return err == nil && json.Unmarshal(env.Signed, v) == nil
}

// updateRoot fetches the newest root and, when it is newer than the trusted one, the
// versions in between into src, for tuf.Verify to walk the chain from the trusted root.
// A root re-signed at the trusted version replaces it when the trusted root's keys and
// threshold verify it.
func (r *Repository) updateRoot(ctx context.Context, src *overlay, trusted []byte) (bool, error) {
	newest, err := r.remote.GetCurrent(ctx, tuf.RoleRoot, tuf.MaxRootSize)
	if err != nil {
		return false, err
	}
	var old, cur tuf.Common
	if bytes.Equal(newest, trusted) || !peek(trusted, &old) || !peek(newest, &cur) || cur.Version < old.Version {
		return false, nil
	}
	if cur.Version == old.Version {
		if err := tuf.VerifyNextRoot(r.gun, trusted, newest, r.now()); err != nil {
			return false, err
		}
		src.files[tuf.RoleRoot] = newest
		return true, nil
	}
	src.files[tuf.RoleRoot] = newest
	if _, err := src.cache.Read(versionedRoot(old.Version), tuf.MaxRootSize); err != nil {
		src.files[versionedRoot(old.Version)] = trusted
	}
	return true, r.rootVersions(ctx, src, trusted, old.Version+1, cur.Version)
}
