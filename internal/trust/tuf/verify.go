package tuf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source gives the cached metadata files of one repository.
type Source interface {
	// Read returns the file of a role ("root", "targets/qa") or of a cached root version
	// ("3.root"); fs.ErrNotExist when it is absent. It returns at most limit+1 bytes so
	// that an oversized file is noticed without reading it all.
	Read(name string, limit int64) ([]byte, error)
	// RootVersions lists the versions N of the cached N.root.json files.
	RootVersions() ([]int, error)
}

// Versions maps role names to versions.
type Versions map[string]int

// VerifyOptions control a verification.
type VerifyOptions struct {
	// Now is the time expiry is checked at; the zero value means time.Now().
	Now time.Time
	// Pin restricts the root keys; nil trusts the root on first use.
	Pin *Pin
	// Trusted holds the versions of an earlier verified state: a lower version of any
	// role is a rollback.
	Trusted Versions
	// AllowExpired accepts expired metadata (docker's allow-expired-trust-cache) and
	// lists it in Repository.Expired; everything else is checked as usual.
	AllowExpired bool
	// LazyTargets leaves the targets of targets files undecoded until they are read
	// through Targets.Get or All, for readers that look up a few of many targets.
	// Targets.Targets is then nil; every entry is still checked during verification.
	LazyTargets bool
}

// Repository is the verified metadata of one repository.
type Repository struct {
	GUN       string
	Root      *Root
	Timestamp *Timestamp
	Snapshot  *Snapshot
	// Targets is the targets role, the root of the delegation tree.
	Targets *TargetsRole
	// Invalid lists the delegations refused entirely (their subtree is ignored) and those
	// whose targets outside their paths are ignored.
	Invalid []*VerifyError
	// Expired lists the expired files accepted under VerifyOptions.AllowExpired.
	Expired []*VerifyError
	// TrustOnFirstUse is set when no pin was given: the root is trusted because it is
	// the one found.
	TrustOnFirstUse bool
}

// TargetsRole is a node of the delegation tree: targets or a delegated role.
type TargetsRole struct {
	Name      string
	KeyIDs    []string
	Keys      map[string]PublicKey
	Threshold int
	// Paths are the role's path prefixes restricted to its parent's ("" = all).
	Paths []string
	// Signed is the verified file; nil when the snapshot lists none or it was refused.
	Signed *Targets
	// SignedBy are the keys whose signatures on the file verified, each by its TUF ID
	// and, for certificate keys, also its canonical ID.
	SignedBy []string
	// Err says why the file was refused.
	Err *VerifyError
	// Children are the delegations the file lists, in order.
	Children []*TargetsRole
}

// AllowsPath tells whether name is inside the role's paths.
func (r *TargetsRole) AllowsPath(name string) bool {
	return slices.ContainsFunc(r.Paths, func(p string) bool { return strings.HasPrefix(name, p) })
}

// restrictPaths keeps the child paths that lie inside one of the parent's paths.
func restrictPaths(parent, child []string) []string {
	var out []string
	for _, c := range child {
		if slices.ContainsFunc(parent, func(p string) bool { return strings.HasPrefix(c, p) }) {
			out = append(out, c)
		}
	}
	return out
}

// FileName is the name of a role's file in a metadata directory.
func FileName(role string) string { return role + ".json" }

type verifier struct {
	gun  string
	src  Source
	opts VerifyOptions
	repo *Repository
	mu   sync.Mutex // guards repo.Expired: sibling delegations are verified concurrently
}

// Verify checks a repository's metadata in notary's order: root (with its cached
// rotation chain and the pin), timestamp, snapshot, targets, delegations. Any failure
// up to targets is returned as a *VerifyError; a refused delegation is recorded in
// Repository.Invalid and its subtree ignored.
func Verify(gun string, src Source, opts VerifyOptions) (*Repository, error) {
	u, err := Begin(gun, src, opts)
	if err != nil {
		return nil, err
	}
	if _, err := u.Timestamp(); err != nil {
		return nil, err
	}
	if _, err := u.Snapshot(); err != nil {
		return nil, err
	}
	return u.Targets()
}

// Update is a verification that runs a step at a time, in TUF's order, so that a
// client verifies each file before it uses a length or hash the file states (notary's
// tufClient loads each file into its builder as it downloads it). Each step reads its
// file from the source when it is called.
type Update struct {
	v       *verifier
	rootRaw []byte
}

// Begin verifies the root with its rotation chain and the pin.
func Begin(gun string, src Source, opts VerifyOptions) (*Update, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	v := &verifier{gun: gun, src: src, opts: opts,
		repo: &Repository{GUN: gun, TrustOnFirstUse: opts.Pin == nil}}
	rootRaw, err := v.root()
	if err != nil {
		return nil, err
	}
	return &Update{v: v, rootRaw: rootRaw}, nil
}

// Timestamp verifies timestamp.json with the root's timestamp keys.
func (u *Update) Timestamp() (*Timestamp, error) {
	v := u.v
	ts := new(Timestamp)
	if _, err := v.load(RoleTimestamp, MaxTimestampSize, nil, roleKeys(v.repo.Root, RoleTimestamp), ts, ts.check); err != nil {
		return nil, err
	}
	v.repo.Timestamp = ts
	return ts, nil
}

// Snapshot verifies snapshot.json against the timestamp's record and the root's
// snapshot keys.
func (u *Update) Snapshot() (*Snapshot, error) {
	v := u.v
	sn := new(Snapshot)
	snMeta := v.repo.Timestamp.Meta[RoleSnapshot]
	if _, err := v.load(RoleSnapshot, snMeta.Length, &snMeta, roleKeys(v.repo.Root, RoleSnapshot), sn, sn.check); err != nil {
		return nil, err
	}
	v.repo.Snapshot = sn
	return sn, nil
}

// Targets verifies targets.json and the delegations under it, then the root against
// the snapshot's record, and returns the verified repository.
func (u *Update) Targets() (*Repository, error) {
	v := u.v
	root := v.repo.Root
	rk := root.Roles[RoleTargets]
	top := &TargetsRole{Name: RoleTargets, KeyIDs: rk.KeyIDs, Keys: subset(root.Keys, rk.KeyIDs), Threshold: rk.Threshold, Paths: []string{""}}
	if _, err := v.loadTargets(top); err != nil {
		return nil, err
	}
	v.repo.Targets = top
	v.delegations(top)
	// The root found must be the one the snapshot names, or it is stale or swapped. It
	// is checked last: a replay that names another root and also rolls a targets file
	// or a delegation back is reported as the rollback it is.
	if err := v.repo.Snapshot.Meta[RoleRoot].Check(u.rootRaw); err != nil {
		if i := slices.IndexFunc(v.repo.Invalid, func(e *VerifyError) bool { return e.Reason == ErrRollback }); i >= 0 {
			return nil, v.repo.Invalid[i]
		}
		return nil, newVerifyError(v.gun, RoleRoot, FileName(RoleRoot), fmt.Errorf("against the snapshot: %w", err))
	}
	// Delegations append concurrently: report in a stable order.
	slices.SortStableFunc(v.repo.Expired, func(a, b *VerifyError) int { return strings.Compare(a.Role, b.Role) })
	return v.repo, nil
}

// root verifies root.json through the chain of cached N.root.json before it and returns
// its bytes.
func (v *verifier) root() ([]byte, error) {
	raw, err := v.read(RoleRoot, MaxRootSize, nil)
	if err != nil {
		return nil, err
	}
	cur, err := parseRoot(FileName(RoleRoot), raw)
	if err != nil {
		return nil, newVerifyError(v.gun, RoleRoot, FileName(RoleRoot), err)
	}
	chain, err := v.rootChain(cur)
	if err != nil {
		return nil, err
	}
	if err := verifyRootChain(v.gun, chain, v.opts.Pin, v.opts.Now); err != nil {
		return nil, err
	}
	if err := v.fresh(RoleRoot, cur.root.Common); err != nil {
		return nil, newVerifyError(v.gun, RoleRoot, cur.file, err)
	}
	v.repo.Root = cur.root
	return raw, nil
}

// rootChain returns the cached roots older than cur, oldest first, then cur. They must
// be consecutive versions up to cur's; a newer cached root means root.json was rolled
// back.
func (v *verifier) rootChain(cur *parsedRoot) ([]*parsedRoot, error) {
	versions, err := v.src.RootVersions()
	if err != nil {
		return nil, newVerifyError(v.gun, RoleRoot, "N.root.json", err)
	}
	slices.Sort(versions)
	var chain []*parsedRoot
	for _, n := range versions {
		name := strconv.Itoa(n) + "." + RoleRoot
		switch {
		case n > cur.root.Version:
			return nil, newVerifyError(v.gun, RoleRoot, FileName(RoleRoot),
				reasonf(ErrRollback, "version %d, but %s is cached", cur.root.Version, FileName(name)))
		case n == cur.root.Version:
			continue
		}
		raw, err := v.read(name, MaxRootSize, nil)
		if err != nil {
			return nil, err
		}
		p, err := parseRoot(FileName(name), raw)
		if err == nil && p.root.Version != n {
			err = reasonf(ErrMalformed, "holds version %d", p.root.Version)
		}
		if err != nil {
			return nil, newVerifyError(v.gun, RoleRoot, FileName(name), err)
		}
		chain = append(chain, p)
	}
	chain = append(chain, cur)
	for i := 1; i < len(chain); i++ {
		if chain[i].root.Version != chain[i-1].root.Version+1 {
			return nil, newVerifyError(v.gun, RoleRoot, chain[i].file,
				reasonf(ErrNoTrustData, "root version %d is missing from the chain", chain[i-1].root.Version+1))
		}
	}
	return chain, nil
}

// read reads a role's file; a parent's meta bounds and checks it.
func (v *verifier) read(role string, limit int64, parent *FileMeta) ([]byte, error) {
	file := FileName(role)
	data, err := v.src.Read(role, limit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &VerifyError{GUN: v.gun, Role: role, File: file, Reason: ErrNoTrustData, Err: err}
	case err != nil:
		return nil, newVerifyError(v.gun, role, file, err)
	case parent != nil:
		err = parent.Check(data)
	case int64(len(data)) > limit:
		err = reasonf(ErrMalformed, "larger than %d bytes", limit)
	}
	if err != nil {
		return nil, newVerifyError(v.gun, role, file, err)
	}
	return data, nil
}

// load reads, checks and verifies a role's file into out: the parent's length and
// hashes, signatures by a threshold of keys, structure, expiry and version floor. It
// returns the IDs of the keys that signed.
func (v *verifier) load(role string, limit int64, parent *FileMeta, keys keySet, out Metadata, check func() error) ([]string, error) {
	data, err := v.read(role, limit, parent)
	if err != nil {
		return nil, err
	}
	signers, err := verifyFile(data, keys, out, check, v.opts.LazyTargets)
	if err != nil {
		return nil, newVerifyError(v.gun, role, FileName(role), err)
	}
	if err := v.fresh(role, out.header()); err != nil {
		return nil, newVerifyError(v.gun, role, FileName(role), err)
	}
	return signers, nil
}

// keySet is the keys of a role and how many of them must sign.
type keySet struct {
	Keys      map[string]PublicKey
	Threshold int
}

func roleKeys(r *Root, role string) keySet {
	rk := r.Roles[role]
	return keySet{Keys: subset(r.Keys, rk.KeyIDs), Threshold: rk.Threshold}
}

func subset(keys map[string]PublicKey, ids []string) map[string]PublicKey {
	m := make(map[string]PublicKey, len(ids))
	for _, id := range ids {
		m[id] = keys[id]
	}
	return m
}

// verifyFile parses a metadata file into out and checks its signatures against keys,
// then its structure with check. With lazy, a targets file keeps its canonical form
// for Targets.Get instead of decoding its targets when it can.
func verifyFile(data []byte, keys keySet, out Metadata, check func() error, lazy bool) ([]string, error) {
	t, isTargets := out.(*Targets)
	keep := lazy && isTargets
	buf := canonicalBufs.Get().(*[]byte)
	defer canonicalBufs.Put(buf)
	dst := (*buf)[:0]
	if keep {
		// The canonical form outlives the call: it gets a buffer of its own, of about
		// its size.
		dst = make([]byte, 0, len(data))
	}
	// Files as notary writes them are parsed and canonicalised in one pass; the others
	// take the general parser, then the fast or the slow canonical form.
	env, canonical, fast := parseEnvelopeFast(dst, data)
	var err error
	if !fast {
		if env, err = ParseEnvelope(data); err != nil {
			return nil, err
		}
		canonical, fast = appendCanonicalFast(dst, env.Signed)
	}
	switch {
	case !fast:
		if canonical, err = canonicalSlow(env.Signed); err != nil {
			return nil, reasonf(ErrMalformed, "canonical form: %v", err)
		}
	case !keep:
		*buf = canonical
	}
	signers, err := verifySignatures(env.Signatures, canonical, keys.Keys, keys.Threshold)
	if err != nil {
		return nil, err
	}
	// A targets file is decoded (or indexed) from the bytes the signatures cover when
	// the fast path made them; other files, and targets files it cannot decode, from
	// the file's.
	if !fast || !isTargets || !decodeTargetsCanonical(canonical, t, keep) {
		if err := decodeSigned(env, out); err != nil {
			return nil, err
		}
	}
	return signers, check()
}

// canonicalBufs holds the buffers canonical forms are built in: they are needed only
// while the signatures are checked, and a large targets file's is 100s of KiB.
var canonicalBufs = sync.Pool{New: func() any { return new([]byte) }}

// fresh checks expiry at now and the version floor. With AllowExpired an expired file
// is recorded instead of refused.
func (v *verifier) fresh(role string, c Common) error {
	if v.opts.Now.After(c.Expires) {
		err := reasonf(ErrExpired, "expired at %s", c.Expires.Format(time.RFC3339))
		if !v.opts.AllowExpired {
			return err
		}
		v.mu.Lock()
		v.repo.Expired = append(v.repo.Expired, newVerifyError(v.gun, role, FileName(role), err))
		v.mu.Unlock()
	}
	if floor := v.opts.Trusted[role]; c.Version < floor {
		return reasonf(ErrRollback, "version %d is older than the trusted version %d", c.Version, floor)
	}
	return nil
}

// loadTargets verifies the file of a targets role listed in the snapshot. It returns,
// as a report, the targets it lists outside its paths, which are ignored.
func (v *verifier) loadTargets(r *TargetsRole) (*VerifyError, error) {
	meta, ok := v.repo.Snapshot.Meta[r.Name]
	switch {
	case ok:
	case r.Name == RoleTargets:
		return nil, nil
	case v.opts.Trusted[r.Name] > 0:
		// The parent still delegates to it: the snapshot dropped it to hide it.
		return nil, reasonf(ErrRollback, "the snapshot no longer lists it; the trusted snapshot did, at version %d", v.opts.Trusted[r.Name])
	default:
		// A delegation the snapshot hides is refused, never an empty role that a lookup
		// walks past (TUF 5.6.7.1; python-tuf refuses it too, notary does not).
		return nil, reasonf(ErrNoTrustData, "delegated by %s but not listed in the snapshot: hidden by the snapshot's signer, or never published (a first `trustctl sign` by one of its signers publishes it; `trustctl delegate remove` drops a role nobody uses)", path.Dir(r.Name))
	}
	t := new(Targets)
	signers, err := v.load(r.Name, meta.Length, &meta, keySet{Keys: r.Keys, Threshold: r.Threshold}, t,
		func() error { return t.check(r.Name) })
	if err != nil {
		return nil, err
	}
	r.Signed, r.SignedBy = t, signers
	if r.Name == RoleTargets {
		return nil, nil
	}
	var outside []string
	if !slices.Contains(r.Paths, "") { // "" admits every name
		for name := range t.names() {
			if !r.AllowsPath(name) {
				outside = append(outside, strconv.Quote(name))
			}
		}
	}
	if len(outside) == 0 {
		return nil, nil
	}
	slices.Sort(outside)
	return &VerifyError{GUN: v.gun, Role: r.Name, File: FileName(r.Name), Reason: ErrInvalidDelegation,
		Err: fmt.Errorf("targets outside the role's paths %q are ignored: %s", r.Paths, strings.Join(outside, ", "))}, nil
}

// delegations verifies the subtree under r: the children's files concurrently (a large
// repository's time goes into parsing them), then their subtrees. A refused role is
// recorded and its subtree skipped. Depth is bounded: every level lengthens a name
// limited to 255 bytes.
func (v *verifier) delegations(r *TargetsRole) {
	type result struct {
		outside *VerifyError
		err     error
	}
	results := make([]result, len(r.Signed.Delegations.Roles))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, d := range r.Signed.Delegations.Roles {
		child := &TargetsRole{Name: d.Name, KeyIDs: d.KeyIDs, Keys: subset(r.Signed.Delegations.Keys, d.KeyIDs),
			Threshold: d.Threshold, Paths: restrictPaths(r.Paths, d.Paths)}
		r.Children = append(r.Children, child)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i].outside, results[i].err = v.loadTargets(child)
		})
	}
	wg.Wait()
	for i, child := range r.Children {
		switch res := results[i]; {
		case res.err != nil:
			child.Err = newVerifyError(v.gun, child.Name, FileName(child.Name), res.err)
			v.repo.Invalid = append(v.repo.Invalid, child.Err)
			continue
		case res.outside != nil:
			v.repo.Invalid = append(v.repo.Invalid, res.outside)
		}
		if child.Signed != nil {
			v.delegations(child)
		}
	}
}

// Walk visits the verified targets roles breadth-first from targets, the way notary's
// WalkTargets does: a role is visited when targetPath is "" or inside its paths, when
// it is rolePath or below it ("" = every role), and when it is not in skip; visit
// returns false to stop. Roles above rolePath are crossed without a visit, children of
// unvisited roles are not walked.
func (r *Repository) Walk(targetPath, rolePath string, skip []string, visit func(*TargetsRole) bool) {
	queue := []*TargetsRole{r.Targets}
	for len(queue) > 0 {
		role := queue[0]
		queue = queue[1:]
		if role.Signed == nil {
			continue
		}
		if strings.HasPrefix(rolePath, role.Name+"/") {
			queue = append(queue, role.Children...)
			continue
		}
		inSubtree := rolePath == "" || role.Name == rolePath || strings.HasPrefix(role.Name, rolePath+"/")
		if (targetPath == "" || role.AllowsPath(targetPath)) && inSubtree && !slices.Contains(skip, role.Name) {
			if !visit(role) {
				return
			}
			queue = append(queue, role.Children...)
		}
	}
}
