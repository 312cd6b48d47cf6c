// Package repo reads the cached metadata of one repository from a trust dir, verifies
// it once (tuf.Verify) and answers what docker and notary would: which digest a tag
// resolves to, who signed it, the listing of `notary list` and the data of
// `docker trust inspect`. It never writes to the trust dir.
package repo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// ReleasesRole is the delegation docker resolves tags from before targets.
const ReleasesRole = "targets/releases"

// Options control how a repository is verified.
type Options struct {
	// Now is the time expiry is checked at; zero means time.Now().
	Now time.Time
	// Pin restricts the root keys; nil trusts the cached root on first use.
	Pin *tuf.Pin
	// Trusted are versions from an earlier verified state; lower ones are rollbacks.
	Trusted tuf.Versions
	// AllowExpired accepts expired metadata and lists it in Expired.
	AllowExpired bool
}

// Repo is a verified repository.
type Repo struct {
	meta     *tuf.Repository
	unusable *tuf.VerifyError
}

// Open reads and verifies the cached metadata of gun in dir.
func Open(dir store.Dir, gun string, opts Options) (*Repo, error) {
	mdir, err := dir.MetadataDir(gun)
	if err != nil {
		return nil, &tuf.VerifyError{GUN: gun, Role: tuf.RoleRoot, Reason: tuf.ErrNoTrustData, Err: err}
	}
	// A reader looks up a few of a repository's targets: they are decoded when read.
	meta, err := tuf.Verify(gun, DirSource(mdir), tuf.VerifyOptions{Now: opts.Now, Pin: opts.Pin, Trusted: opts.Trusted,
		AllowExpired: opts.AllowExpired, LazyTargets: true})
	if err != nil {
		return nil, err
	}
	r := &Repo{meta: meta}
	r.unusable = r.findUnusable()
	return r, nil
}

// DirSource is a repository's cached metadata folder as tuf.Verify reads it.
type DirSource string

// Read opens only regular files: a FIFO or device planted in the trust dir must not
// block or flood the reader. Role names were validated, so they cannot leave the dir.
func (d DirSource) Read(name string, limit int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(tuf.FileName(name))))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	// The buffer is sized from the file's size, and one byte more to see the end
	// without growing it; the file may change meanwhile, so the limit still bounds the
	// reading.
	data := make([]byte, 0, min(info.Size(), limit)+1)
	r := io.LimitReader(f, limit+1)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		switch {
		case err == io.EOF:
			return data, nil
		case err != nil:
			return nil, err
		case len(data) == cap(data):
			data = slices.Grow(data, 512)
		}
	}
}

// RootVersions lists the versions N of the cached N.root.json files.
func (d DirSource) RootVersions() ([]int, error) {
	entries, err := os.ReadDir(string(d))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var versions []int
	for _, e := range entries {
		if v, ok := RootVersion(strings.TrimSuffix(e.Name(), ".json")); ok {
			versions = append(versions, v)
		}
	}
	return versions, nil
}

// RootVersion parses the name "N.root" of a superseded root kept for the rotation
// chain.
func RootVersion(name string) (int, bool) {
	n, ok := strings.CutSuffix(name, "."+tuf.RoleRoot)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 1 || strconv.Itoa(v) != n {
		return 0, false
	}
	return v, true
}

// GUN is the repository's name.
func (r *Repo) GUN() string { return r.meta.GUN }

// Metadata is the verified metadata.
func (r *Repo) Metadata() *tuf.Repository { return r.meta }

// TrustOnFirstUse tells whether the root was trusted without a pin.
func (r *Repo) TrustOnFirstUse() bool { return r.meta.TrustOnFirstUse }

// Invalid lists the delegations refused in whole or in part, with their reasons.
func (r *Repo) Invalid() []*tuf.VerifyError { return r.meta.Invalid }

// Expired lists the expired files accepted with Options.AllowExpired.
func (r *Repo) Expired() []*tuf.VerifyError { return r.meta.Expired }

// Target is a signed target.
type Target struct {
	Name string
	// Digest is "sha256:<hex>", empty when the entry has no sha256 hash.
	Digest string
	Size   int64
	// Role is the role the entry was taken from.
	Role string
}

func newTarget(name string, m tuf.FileMeta, role string) Target {
	t := Target{Name: name, Size: m.Length, Role: role}
	if h, ok := m.Hashes[tuf.HashSHA256]; ok {
		t.Digest = "sha256:" + hex.EncodeToString(h)
	}
	return t
}

// entry is one role's record of a target.
type entry struct {
	meta tuf.FileMeta
	role *tuf.TargetsRole
}

// targetByName is notary's GetTargetByName: for each role in order, the first role of
// its subtree (breadth-first, the other listed roles' subtrees skipped) whose paths
// admit name and which lists it.
func (r *Repo) targetByName(name string, roles ...string) (entry, bool) {
	for _, role := range roles {
		var found entry
		var ok bool
		r.meta.Walk(name, role, others(roles, role), func(tr *tuf.TargetsRole) bool {
			found.meta, ok = tr.Signed.Get(name)
			found.role = tr
			return !ok
		})
		if ok {
			return found, true
		}
	}
	return entry{}, false
}

func others(roles []string, role string) []string {
	return slices.DeleteFunc(slices.Clone(roles), func(s string) bool { return s == role })
}

// Lookup resolves a tag as docker 28 does with DOCKER_CONTENT_TRUST=1 (cli/command/image
// trust.go TrustedReference): notary's GetTargetByName(tag, targets/releases, targets),
// whose first match counts only when it is in targets/releases or targets itself. A
// match in another role is a *ShadowedError: docker says "No trust data" although
// targets may hold the tag too. Every error matches tuf.ErrNoTrustData when the tag is
// not released, except Unusable's.
func (r *Repo) Lookup(tag string) (Target, error) {
	if bad := r.Unusable(); bad != nil {
		return Target{}, bad
	}
	e, ok := r.targetByName(tag, ReleasesRole, tuf.RoleTargets)
	if !ok {
		return Target{}, &tuf.VerifyError{GUN: r.meta.GUN, Reason: tuf.ErrNoTrustData,
			Err: fmt.Errorf("no trust data for %s:%s", r.meta.GUN, tag)}
	}
	t := newTarget(tag, e.meta, e.role.Name)
	if !isReleased(e.role.Name) {
		return Target{}, &ShadowedError{GUN: r.meta.GUN, Tag: tag, Role: e.role.Name, Digest: t.Digest}
	}
	if h := e.meta.Hashes[tuf.HashSHA256]; len(h) != 32 {
		return Target{}, &tuf.VerifyError{GUN: r.meta.GUN, Role: e.role.Name, File: tuf.FileName(e.role.Name),
			Reason: tuf.ErrMalformed, Err: fmt.Errorf("tag %s has no sha256 digest", tag)}
	}
	return t, nil
}

// ShadowedError is a tag whose first match in docker's lookup is in a delegated role
// other than targets/releases: docker refuses it, whatever targets holds.
type ShadowedError struct {
	GUN, Tag string
	// Role holds the tag first; Digest is its entry's.
	Role, Digest string
}

func (e *ShadowedError) Error() string {
	return fmt.Sprintf("no trust data for %s:%s: %s holds it first, and docker pulls only from %s or %s",
		e.GUN, e.Tag, e.Role, ReleasesRole, tuf.RoleTargets)
}

// Is makes a shadowed tag an unsigned one for callers that only ask whether it is.
func (e *ShadowedError) Is(target error) bool { return target == tuf.ErrNoTrustData }

// Unusable is the refused delegation that makes docker refuse every tag of the
// repository, nil when there is none. Notary's update (client/tufclient.go
// downloadTargets) skips a delegation that expired or lacks valid signatures, and
// stops on any other problem: a file missing, not the one the snapshot lists, malformed
// or rolled back.
func (r *Repo) Unusable() *tuf.VerifyError { return r.unusable }

func (r *Repo) findUnusable() *tuf.VerifyError {
	for _, role := range r.Roles() {
		if bad := role.Err; bad != nil && !errors.Is(bad, tuf.ErrExpired) && !errors.Is(bad, tuf.ErrSignature) &&
			!errors.Is(bad, tuf.ErrThreshold) {
			return bad
		}
	}
	return nil
}

func isReleased(role string) bool { return role == tuf.RoleTargets || role == ReleasesRole }

// allByName is notary's GetAllTargetMetadataByName: every verified role's record of name
// in walk order ("" = every target). Unlike notary, entries outside a role's paths are
// never taken.
func (r *Repo) allByName(name string) []Target {
	var out []Target
	r.meta.Walk(name, "", nil, func(tr *tuf.TargetsRole) bool {
		if name != "" {
			if m, ok := tr.Signed.Get(name); ok {
				out = append(out, newTarget(name, m, tr.Name))
			}
			return true
		}
		for n, m := range tr.Signed.All() {
			if tr.AllowsPath(n) {
				out = append(out, newTarget(n, m, tr.Name))
			}
		}
		return true
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Key is a role key under both its IDs.
type Key struct {
	// ID is the TUF key ID the metadata uses (the certificate's for x509 keys).
	ID string
	// CanonicalID is the ID of the bare public key (key files, docker "Signers").
	CanonicalID string
}

// Signer is a delegation role and its keys.
type Signer struct {
	Role string
	Keys []Key
}

func roleKeys(tr *tuf.TargetsRole) []Key {
	keys := make([]Key, 0, len(tr.KeyIDs))
	for _, id := range tr.KeyIDs {
		cid, err := tr.Keys[id].CanonicalID()
		if err != nil {
			cid = id
		}
		keys = append(keys, Key{ID: id, CanonicalID: cid})
	}
	return keys
}

// Signers returns the verified delegation roles other than targets and
// targets/releases that hold tag with digest ("sha256:<hex>"), in walk order: docker's
// "Signers" of a signed tag. It does not tell whether the tag is released (Lookup does).
func (r *Repo) Signers(tag, digest string) []Signer {
	var out []Signer
	r.meta.Walk(tag, "", nil, func(tr *tuf.TargetsRole) bool {
		m, ok := tr.Signed.Get(tag)
		if ok && !isReleased(tr.Name) && newTarget(tag, m, tr.Name).Digest == digest {
			out = append(out, Signer{Role: tr.Name, Keys: roleKeys(tr)})
		}
		return true
	})
	return out
}

// FindDigest returns every released tag that resolves to digest, sorted by name.
func (r *Repo) FindDigest(digest string) []Target {
	var out []Target
	seen := make(map[string]bool)
	for _, t := range r.allByName("") {
		if !isReleased(t.Role) || t.Digest != digest || seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		if l, err := r.Lookup(t.Name); err == nil && l.Digest == digest {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// List is `notary list [--roles r1,r2…]` (default: targets): for each role in order, its
// subtree's targets, earlier roles and breadth-first order taking precedence; sorted by
// name.
func (r *Repo) List(roles ...string) []Target {
	if len(roles) == 0 {
		roles = []string{tuf.RoleTargets}
	}
	byName := make(map[string]Target)
	for _, role := range roles {
		r.meta.Walk("", role, others(roles, role), func(tr *tuf.TargetsRole) bool {
			for name, m := range tr.Signed.All() {
				if _, dup := byName[name]; !dup && tr.AllowsPath(name) {
					byName[name] = newTarget(name, m, tr.Name)
				}
			}
			return true
		})
	}
	out := make([]Target, 0, len(byName))
	for _, n := range sortedKeys(byName) {
		out = append(out, byName[n])
	}
	return out
}

// Role describes a verified or refused role.
type Role struct {
	Name      string
	Version   int
	Expires   time.Time
	KeyIDs    []string
	Threshold int
	// Paths of a delegation, restricted to its parent's.
	Paths []string
	// Err is set for a refused delegation.
	Err *tuf.VerifyError
}

// Roles lists root, timestamp, snapshot, targets and the delegations (depth-first, as
// listed by their parents; those the snapshot names no file for have no version).
func (r *Repo) Roles() []Role {
	m := r.meta
	base := func(name string, c tuf.Common) Role {
		rk := m.Root.Roles[name]
		return Role{Name: name, Version: c.Version, Expires: c.Expires, KeyIDs: rk.KeyIDs, Threshold: rk.Threshold}
	}
	roles := []Role{base(tuf.RoleRoot, m.Root.Common), base(tuf.RoleTimestamp, m.Timestamp.Common),
		base(tuf.RoleSnapshot, m.Snapshot.Common)}
	var walk func(tr *tuf.TargetsRole)
	walk = func(tr *tuf.TargetsRole) {
		role := Role{Name: tr.Name, KeyIDs: tr.KeyIDs, Threshold: tr.Threshold, Paths: tr.Paths, Err: tr.Err}
		if tr.Signed != nil {
			role.Version, role.Expires = tr.Signed.Version, tr.Signed.Expires
		}
		roles = append(roles, role)
		for _, c := range tr.Children {
			walk(c)
		}
	}
	walk(m.Targets)
	return roles
}

// Versions are the versions of the verified files, to pass as Options.Trusted next time.
func (r *Repo) Versions() tuf.Versions {
	v := tuf.Versions{}
	for _, role := range r.Roles() {
		if role.Version > 0 && role.Err == nil {
			v[role.Name] = role.Version
		}
	}
	return v
}
