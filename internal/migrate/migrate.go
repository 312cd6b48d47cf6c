// Package migrate carries Notary v1 signatures over to cosign (issue 13): each tag held
// by a role that verifies in the trust dir gets a cosign signature over the same
// digest, made with a key that the role's current delegation lists, with the Notary
// record as provenance. It orchestrates the trust layer (what verifies, which keys),
// the registry client (what is there, what is written) and internal/cosign (the bytes).
//
// A run plans everything first (verification, registry HEADs, existing signatures,
// keys) and writes only when the whole plan stands: bad input changes nothing in the
// registry. Each write ends with one manifest put, so a registry failing mid-push
// leaves every signature image either as it was or complete.
package migrate

import (
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/cosign"
	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Format is the cosign signature format written.
type Format string

const (
	// Legacy is the signature image under sha256-<hex>.sig (cosign v2's format).
	Legacy Format = "legacy"
	// Bundle is the sigstore bundle referrer (cosign v3's default).
	Bundle Format = "bundle"
)

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Legacy, Bundle:
		return f, nil
	}
	return "", fmt.Errorf("--format %q: want legacy or bundle", s)
}

// Options are the inputs of a run.
type Options struct {
	// Repositories are GUNs (registry host included).
	Repositories []string
	TrustDir     store.Dir
	Keys         *keys.Store
	// Pin returns the root pin of a repository (nil: the cached root, trusted on first
	// use); nil means no pins.
	Pin func(gun string) *tuf.Pin
	// Registry returns the client of a repository's registry and its name there.
	Registry func(gun string) (*registry.Client, string, error)
	Format   Format
	// Role restricts the migration to one role (targets/qa); "" takes every role.
	Role   string
	DryRun bool
	// Evidence attaches the Notary v1 files to each migrated digest (evidence.go).
	Evidence bool
	// Now judges expiry and is the recorded time of migration; zero means time.Now().
	Now time.Time
	Log *slog.Logger
}

// Outcome is what happened to one tag held by one role.
type Outcome string

const (
	Migrated     Outcome = "migrated"
	WouldMigrate Outcome = "would migrate"
	Present      Outcome = "present"
	Skipped      Outcome = "skipped"
)

// Item is one tag of one role (or a whole role that was skipped, without a tag).
type Item struct {
	Repository string  `json:"repository"`
	Tag        string  `json:"tag,omitempty"`
	Role       string  `json:"role"`
	Digest     string  `json:"digest,omitempty"`
	KeyID      string  `json:"keyid,omitempty"`
	Outcome    Outcome `json:"outcome"`
	Reason     string  `json:"reason,omitempty"`
}

// Result is a run's report.
type Result struct {
	Format Format `json:"format"`
	DryRun bool   `json:"dry_run"`
	Items  []Item `json:"items"`
	// Evidence lists the evidence artifacts, with --evidence.
	Evidence []EvidenceItem `json:"evidence,omitempty"`
}

// Count is how many items have outcome o.
func (r Result) Count(o Outcome) int {
	n := 0
	for _, it := range r.Items {
		if it.Outcome == o {
			n++
		}
	}
	return n
}

// Provenance keys of a migrated signature (docs/migrate.md): cosign's optional
// fields of the legacy payload, the subject annotations of a bundle's statement.
const (
	KeyGUN           = "dev.trustctl.notary.gun"
	KeyTag           = "dev.trustctl.notary.tag"
	KeyRole          = "dev.trustctl.notary.role"
	KeyKeyID         = "dev.trustctl.notary.keyid"
	KeyTargetPrefix  = "dev.trustctl.notary.target." // + hash algorithm
	KeyTargetLength  = "dev.trustctl.notary.target.length"
	KeyRoleVersion   = "dev.trustctl.notary.role.version"
	KeyRoleExpires   = "dev.trustctl.notary.role.expires"
	KeyRoleSHA256    = "dev.trustctl.notary.role.sha256"
	KeyRootSHA256    = "dev.trustctl.notary.root.sha256"
	KeyMigrated      = "dev.trustctl.migrated"
	maxMetadataBytes = 64 << 20
)

// Run plans the migration of every repository, then, unless DryRun, writes it.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC().Truncate(time.Second)
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Format == "" {
		opts.Format = Legacy
	}
	res := Result{Format: opts.Format, DryRun: opts.DryRun}
	held, err := opts.Keys.List()
	if err != nil {
		return res, fmt.Errorf("read the trust dir's keys: %w", err)
	}
	p := &planner{opts: opts, held: held, signers: map[string]crypto.Signer{}}
	guns := slices.Clone(opts.Repositories)
	slices.Sort(guns)
	guns = slices.Compact(guns)
	var items []*Item
	var plans []*digestPlan
	var evidence []*evidencePlan
	for _, gun := range guns {
		its, dp, ev, err := p.planRepo(ctx, gun)
		if err != nil {
			return res, err
		}
		items = append(items, its...)
		plans = append(plans, dp...)
		evidence = append(evidence, ev...)
	}
	slices.SortStableFunc(items, func(a, b *Item) int {
		return cmp.Or(strings.Compare(a.Repository, b.Repository), strings.Compare(a.Tag, b.Tag), strings.Compare(a.Role, b.Role))
	})
	result := func() Result {
		for _, it := range items {
			res.Items = append(res.Items, *it)
		}
		for _, ep := range evidence {
			res.Evidence = append(res.Evidence, *ep.item)
		}
		return res
	}
	if opts.DryRun {
		return result(), nil
	}
	if err := p.writeSignatures(ctx, plans); err != nil {
		return result(), err
	}
	err = p.writeAllEvidence(ctx, evidence)
	return result(), err
}

// writeSignatures unlocks the keys, then writes each image's signatures on its own (one
// manifest put makes them visible), several at a time: a failure leaves the others
// complete or untouched.
func (p *planner) writeSignatures(ctx context.Context, plans []*digestPlan) error {
	var writes []*digestPlan
	for _, dp := range plans {
		if len(dp.todo) > 0 {
			writes = append(writes, dp)
		}
		// Before anything is written: a wrong passphrase leaves the registry unchanged.
		for _, c := range dp.todo {
			if err := p.unlock(c.key); err != nil {
				return err
			}
		}
	}
	errs := parallel(len(writes), func(i int) error { return p.write(ctx, writes[i]) })
	failed := 0
	for i, dp := range writes {
		if errs[i] != nil {
			failed++
			continue
		}
		for _, c := range dp.todo {
			c.item.Outcome = Migrated
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w (%d of %d images signed; the others are unchanged: run migrate again, it adds only what is missing)",
			err, len(writes)-failed, len(writes))
	}
	return nil
}

// writeAllEvidence attaches the evidence that is missing, after the signatures: the
// record of what was carried over.
func (p *planner) writeAllEvidence(ctx context.Context, evidence []*evidencePlan) error {
	var todo []*evidencePlan
	for _, ep := range evidence {
		if ep.item.Outcome == WouldMigrate {
			todo = append(todo, ep)
		}
	}
	errs := parallel(len(todo), func(i int) error { return p.writeEvidence(ctx, todo[i]) })
	for i, ep := range todo {
		if errs[i] != nil {
			errs[i] = fmt.Errorf("evidence of %s@%s: %w", ep.dp.gun, ep.dp.subject.Digest, errs[i])
			continue
		}
		ep.item.Outcome = Migrated
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w (every signature is written: run migrate --evidence again)", err)
	}
	return nil
}

type planner struct {
	opts    Options
	held    []keys.Info
	signers map[string]crypto.Signer // unlocked keys by canonical ID
}

// signingKey is the key a role's tags are signed with.
type signingKey struct {
	id  string // canonical key ID: the key file's name
	pub crypto.PublicKey
}

// claim is one tag of one role to write a signature for.
type claim struct {
	tag, role string
	key       signingKey
	payload   cosign.Payload // legacy: docker-reference, digest, provenance
	item      *Item
}

// digestPlan is everything written for one image digest: one signature image (legacy)
// or one referrer per claim (bundle).
type digestPlan struct {
	gun, name string // repository, and its name in the registry
	reg       *registry.Client
	subject   registry.Descriptor
	claims    []*claim // every claim on the digest that was not skipped
	todo      []*claim // those whose signature is not there yet
}

// planRepo verifies gun, selects the tags and keys, checks the registry and finds the
// signatures already there.
func (p *planner) planRepo(ctx context.Context, gun string) ([]*Item, []*digestPlan, []*evidencePlan, error) {
	var pin *tuf.Pin
	if p.opts.Pin != nil {
		pin = p.opts.Pin(gun)
	}
	r, err := repo.Open(p.opts.TrustDir, gun, repo.Options{Now: p.opts.Now, Pin: pin})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	if bad := r.Unusable(); bad != nil {
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", gun, bad)
	}
	if r.TrustOnFirstUse() {
		p.opts.Log.Warn("root not pinned: trusted as first seen (pin it with --policy and `trustctl policy pin`)", "repository", gun)
	}
	mdir, err := p.opts.TrustDir.MetadataDir(gun)
	if err != nil {
		return nil, nil, nil, err
	}
	src := repo.DirSource(mdir)
	root, err := src.Read(tuf.RoleRoot, maxMetadataBytes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	if p.opts.Role != "" && !slices.ContainsFunc(r.Roles(), func(role repo.Role) bool { return role.Name == p.opts.Role }) {
		return nil, nil, nil, fmt.Errorf("migrate %s: the repository has no role %s", gun, p.opts.Role)
	}
	items, claims, err := p.collect(gun, r, src, sha256Hex(root))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	plans, err := p.checkRegistry(ctx, gun, claims)
	if err != nil {
		return nil, nil, nil, err
	}
	if !p.opts.Evidence {
		return items, plans, nil, nil
	}
	evidence, err := p.planAllEvidence(ctx, src, r, plans)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", gun, err)
	}
	return items, plans, evidence, nil
}

// collect lists a row per tag of each verified role (or a role refused, without a tag),
// and the claims to sign: tags with a sha256 digest of roles whose key is usable.
func (p *planner) collect(gun string, r *repo.Repo, src repo.DirSource, rootSum string) ([]*Item, []*claim, error) {
	var items []*Item
	wanted := func(role string) bool { return p.opts.Role == "" || p.opts.Role == role }
	for _, bad := range r.Invalid() {
		if wanted(bad.Role) {
			items = append(items, &Item{Repository: gun, Role: bad.Role, Outcome: Skipped, Reason: "role does not verify: " + bad.Error()})
		}
	}
	var claims []*claim
	var walkErr error
	r.Metadata().Walk("", "", nil, func(tr *tuf.TargetsRole) bool {
		// A role named with --role is checked for a key even when it holds no tags.
		if !wanted(tr.Name) || tr.Signed.Len() == 0 && p.opts.Role == "" {
			return true
		}
		key, skip, err := p.signingKey(tr)
		if err != nil {
			walkErr = err
			return false
		}
		roleFile, err := src.Read(tr.Name, maxMetadataBytes)
		if err != nil {
			walkErr = err
			return false
		}
		for _, tag := range sortedTargets(tr) {
			meta, _ := tr.Signed.Get(tag)
			it := &Item{Repository: gun, Tag: tag, Role: tr.Name}
			items = append(items, it)
			h, ok := meta.Hashes[tuf.HashSHA256]
			if !ok || len(h) != sha256.Size {
				it.Outcome, it.Reason = Skipped, "no sha256 hash: not an image manifest digest"
				continue
			}
			it.Digest = "sha256:" + hex.EncodeToString(h)
			if skip != "" {
				it.Outcome, it.Reason = Skipped, skip
				continue
			}
			it.KeyID = key.id
			prov := provenance(gun, tag, tr, meta, key.id, sha256Hex(roleFile), rootSum, p.opts.Now)
			claims = append(claims, &claim{tag: tag, role: tr.Name, key: key, item: it,
				payload: cosign.Payload{DockerReference: gun + ":" + tag, Digest: it.Digest, Optional: prov}})
		}
		return true
	})
	return items, claims, walkErr
}

func sortedTargets(tr *tuf.TargetsRole) []string {
	var names []string
	for name := range tr.Signed.All() {
		if tr.AllowsPath(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// signingKey picks the key a role's tags are signed with: one that the role's current
// delegation lists and whose private key is in the trust dir (the smallest canonical ID
// when there are several). A role none of whose keys the trust dir holds is skipped
// with the reason, or an error when --role names it; a role whose held keys cosign
// cannot use is an error.
func (p *planner) signingKey(tr *tuf.TargetsRole) (signingKey, string, error) {
	byID := map[string]keys.Info{}
	for _, info := range p.held {
		byID[info.ID] = info
	}
	type listed struct {
		id  string
		pub tuf.PublicKey
	}
	var current []listed
	for _, id := range tr.KeyIDs {
		pub, ok := tr.Keys[id]
		if !ok {
			continue
		}
		cid, err := pub.CanonicalID()
		if err != nil {
			continue
		}
		current = append(current, listed{cid, pub})
	}
	slices.SortFunc(current, func(a, b listed) int { return strings.Compare(a.id, b.id) })
	var refused error
	var ids []string
	for _, k := range current {
		ids = append(ids, k.id)
		if _, ok := byID[k.id]; !ok {
			continue
		}
		pub, err := k.pub.CryptoPublicKey()
		if err == nil {
			err = cosign.CheckKey(pub)
		}
		if err != nil {
			refused = cmp.Or(refused, fmt.Errorf("key %s of %s: %w", k.id, tr.Name, err))
			continue
		}
		return signingKey{id: k.id, pub: pub}, "", nil
	}
	if refused != nil {
		return signingKey{}, "", refused
	}
	reason := fmt.Sprintf("no private key of %s's current delegation (%s) in the trust dir", tr.Name, strings.Join(ids, ", "))
	if removed := p.removedKeys(tr.Name, ids); len(removed) > 0 {
		reason += fmt.Sprintf("; the trust dir's key %s for %s is no longer listed, and a removed key is never used",
			strings.Join(removed, ", "), shortRole(tr.Name))
	}
	if p.opts.Role != "" {
		return signingKey{}, "", errors.New(reason)
	}
	return signingKey{}, reason, nil
}

// removedKeys are held keys named for role that its delegation no longer lists.
func (p *planner) removedKeys(role string, current []string) []string {
	var out []string
	for _, info := range p.held {
		if (info.Role == role || info.Role == shortRole(role)) && !slices.Contains(current, info.ID) {
			out = append(out, info.ID)
		}
	}
	return out
}

func shortRole(role string) string { return strings.TrimPrefix(role, tuf.RoleTargets+"/") }

// provenance records where a migrated signature comes from, as strings (cosign's
// annotations are strings).
func provenance(gun, tag string, tr *tuf.TargetsRole, meta tuf.FileMeta, keyID, roleSum, rootSum string, now time.Time) map[string]string {
	m := map[string]string{
		KeyGUN:          gun,
		KeyTag:          tag,
		KeyRole:         tr.Name,
		KeyKeyID:        keyID,
		KeyTargetLength: strconv.FormatInt(meta.Length, 10),
		KeyRoleVersion:  strconv.Itoa(tr.Signed.Version),
		KeyRoleExpires:  tr.Signed.Expires.UTC().Format(time.RFC3339),
		KeyRoleSHA256:   roleSum,
		KeyRootSHA256:   rootSum,
		KeyMigrated:     now.UTC().Format(time.RFC3339),
	}
	for alg, h := range meta.Hashes {
		m[KeyTargetPrefix+alg] = hex.EncodeToString(h)
	}
	return m
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// unlock decrypts a signing key once and checks that it is the delegation's key.
func (p *planner) unlock(k signingKey) error {
	if _, ok := p.signers[k.id]; ok {
		return nil
	}
	s, _, err := p.opts.Keys.PrivateKey(k.id)
	if err != nil {
		return fmt.Errorf("key %s: %w", k.id, err)
	}
	if eq, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(k.pub) {
		return fmt.Errorf("key %s: the private key in the trust dir is not the delegation's key", k.id)
	}
	p.signers[k.id] = s
	return nil
}
