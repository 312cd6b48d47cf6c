package tuf

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// Base role names.
const (
	RoleRoot      = "root"
	RoleTargets   = "targets"
	RoleSnapshot  = "snapshot"
	RoleTimestamp = "timestamp"
)

// Hash algorithm names in "hashes".
const (
	HashSHA256 = "sha256"
	HashSHA512 = "sha512"
)

// Size limits of files that no parent metadata bounds. notary allows a 100 MiB root;
// real roots are a few KiB, so 10 MiB is ample and keeps hostile files cheap.
const (
	MaxRootSize      = 10 << 20
	MaxTimestampSize = 1 << 20
)

// Envelope is a metadata file: {"signed":…,"signatures":[…]}. Signed holds the bytes as
// found in a file (or the canonical bytes of something this package signed); signatures
// cover its canonical form, never these bytes.
type Envelope struct {
	Signed     json.RawMessage `json:"signed"`
	Signatures []Signature     `json:"signatures"`
}

// ParseEnvelope reads a metadata file. The caller bounds its size.
func ParseEnvelope(data []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, reasonf(ErrMalformed, "%v", err)
	}
	if len(e.Signed) == 0 || e.Signed[0] != '{' {
		return nil, reasonf(ErrMalformed, `"signed" is not an object`)
	}
	return &e, nil
}

// Common holds the members every "signed" object has.
type Common struct {
	Type    string    `json:"_type"`
	Expires time.Time `json:"expires"`
	Version int       `json:"version"`
}

// Root is the "signed" part of root.json.
type Root struct {
	Common
	ConsistentSnapshot bool                 `json:"consistent_snapshot"`
	Keys               map[string]PublicKey `json:"keys"`
	Roles              map[string]RoleKeys  `json:"roles"`
}

// RoleKeys names the keys of a base role and how many must sign.
type RoleKeys struct {
	KeyIDs    []string `json:"keyids"`
	Threshold int      `json:"threshold"`
}

// Targets is the "signed" part of targets.json and of every delegated role's file.
type Targets struct {
	Common
	Delegations Delegations `json:"delegations"`
	// Targets maps target names to their meta. It is nil in a file verified with
	// VerifyOptions.LazyTargets; Get, All and Len read either form.
	Targets map[string]FileMeta `json:"targets"`
	// index replaces Targets in a file verified with LazyTargets.
	index *targetsIndex
}

// Delegations lists the direct child roles of a targets role and their keys.
type Delegations struct {
	Keys  map[string]PublicKey `json:"keys"`
	Roles []DelegationRole     `json:"roles"`
}

// DelegationRole is one delegated role: its keys, threshold and path prefixes ("" = all).
type DelegationRole struct {
	KeyIDs    []string `json:"keyids"`
	Name      string   `json:"name"`
	Paths     []string `json:"paths,omitempty"`
	Threshold int      `json:"threshold"`
}

// Snapshot is the "signed" part of snapshot.json.
type Snapshot struct {
	Common
	Meta map[string]FileMeta `json:"meta"`
}

// Timestamp is the "signed" part of timestamp.json.
type Timestamp struct {
	Common
	Meta map[string]FileMeta `json:"meta"`
}

// FileMeta describes a file: metadata in snapshot/timestamp, an image manifest in
// targets. Hashes are raw digests (base64 in JSON).
type FileMeta struct {
	Custom json.RawMessage `json:"custom,omitempty"`
	Hashes Hashes          `json:"hashes"`
	Length int64           `json:"length"`
}

// Hashes maps an algorithm name to a digest.
type Hashes map[string][]byte

// NewFileMeta describes data with its length and sha256 and sha512 digests, as notary
// records metadata files.
func NewFileMeta(data []byte) FileMeta {
	s256 := sha256.Sum256(data)
	s512 := sha512.Sum512(data)
	return FileMeta{Length: int64(len(data)), Hashes: Hashes{HashSHA256: s256[:], HashSHA512: s512[:]}}
}

// Check compares data with the length and hashes recorded by a parent: the length must
// be equal, at least one known algorithm must be listed and every known one must match.
func (m FileMeta) Check(data []byte) error {
	if int64(len(data)) != m.Length {
		return reasonf(ErrLength, "%d bytes, %d recorded", len(data), m.Length)
	}
	known := 0
	// In a fixed order, so that a tampered file is reported the same way every time.
	for _, alg := range []string{HashSHA256, HashSHA512} {
		want, ok := m.Hashes[alg]
		if !ok {
			continue
		}
		var got []byte
		if alg == HashSHA256 {
			s := sha256.Sum256(data)
			got = s[:]
		} else {
			s := sha512.Sum512(data)
			got = s[:]
		}
		known++
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return reasonf(ErrHashMismatch, "%s differs from the recorded one", alg)
		}
	}
	if known == 0 {
		return reasonf(ErrMalformed, "no sha256 or sha512 hash recorded")
	}
	return nil
}

// checkHashStructure is notary's rule for snapshot/timestamp entries: sha256 present,
// every known digest of the right size.
func checkHashStructure(name string, h Hashes) error {
	if _, ok := h[HashSHA256]; !ok {
		return reasonf(ErrMalformed, "no sha256 hash for %s", name)
	}
	for alg, d := range h {
		if (alg == HashSHA256 && len(d) != sha256.Size) || (alg == HashSHA512 && len(d) != sha512.Size) {
			return reasonf(ErrMalformed, "%s hash of %s has %d bytes", alg, name, len(d))
		}
	}
	return nil
}

// typeOf is the "_type" a role's file must carry.
func typeOf(role string) string {
	switch role {
	case RoleRoot:
		return "Root"
	case RoleSnapshot:
		return "Snapshot"
	case RoleTimestamp:
		return "Timestamp"
	}
	return "Targets"
}

// Metadata is a "signed" object: *Root, *Targets, *Snapshot or *Timestamp.
type Metadata interface{ header() Common }

func (c Common) header() Common { return c }

func (c Common) check(role string) error {
	if want := typeOf(role); c.Type != want {
		return reasonf(ErrWrongType, "_type %q, want %q", c.Type, want)
	}
	if c.Version < 1 {
		return reasonf(ErrMalformed, "version %d", c.Version)
	}
	return nil
}

var delegationName = regexp.MustCompile(`^[-a-z0-9_/]+$`)

// IsDelegation tells whether name is a valid delegated role name: targets/<a>[/<b>…],
// lower-case letters, digits, "-", "_", shorter than 256 bytes and clean.
func IsDelegation(name string) bool {
	return strings.HasPrefix(name, RoleTargets+"/") && len(name) < 256 &&
		delegationName.MatchString(name) && path.Clean(name) == name
}

// checkKeyIDs makes sure every listed key exists and is stored under its own ID, so a
// signature's key ID always names the key that verifies it.
func checkKeyIDs(keys map[string]PublicKey, ids []string) error {
	for _, id := range ids {
		k, ok := keys[id]
		if !ok {
			return fmt.Errorf("key %s is not listed", id)
		}
		if k.ID() != id {
			return fmt.Errorf("key listed as %s has ID %s", id, k.ID())
		}
	}
	return nil
}

func (r *Root) check() error {
	if err := r.Common.check(RoleRoot); err != nil {
		return err
	}
	for _, name := range []string{RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp} {
		rk, ok := r.Roles[name]
		if !ok {
			return reasonf(ErrMalformed, "no %s role", name)
		}
		if rk.Threshold < 1 {
			return reasonf(ErrMalformed, "%s threshold %d", name, rk.Threshold)
		}
		if err := checkKeyIDs(r.Keys, rk.KeyIDs); err != nil {
			return reasonf(ErrMalformed, "%s role: %v", name, err)
		}
	}
	return nil
}

// check validates a targets file of role: its delegations must be valid direct children
// with known keys, like notary, which refuses the whole file otherwise.
func (t *Targets) check(role string) error {
	if err := t.Common.check(role); err != nil {
		return err
	}
	seen := make(map[string]bool, len(t.Delegations.Roles))
	for _, d := range t.Delegations.Roles {
		switch {
		case !IsDelegation(d.Name) || path.Dir(d.Name) != role:
			return reasonf(ErrInvalidDelegation, "%q is not a valid child role of %s", d.Name, role)
		case seen[d.Name]:
			return reasonf(ErrInvalidDelegation, "%s delegated twice", d.Name)
		case d.Threshold < 1:
			return reasonf(ErrInvalidDelegation, "%s threshold %d", d.Name, d.Threshold)
		}
		seen[d.Name] = true
		if err := checkKeyIDs(t.Delegations.Keys, d.KeyIDs); err != nil {
			return reasonf(ErrInvalidDelegation, "%s: %v", d.Name, err)
		}
	}
	return nil
}

func (s *Snapshot) check() error {
	if err := s.Common.check(RoleSnapshot); err != nil {
		return err
	}
	for _, name := range []string{RoleRoot, RoleTargets} {
		if err := checkHashStructure(name, s.Meta[name].Hashes); err != nil {
			return err
		}
	}
	return nil
}

func (t *Timestamp) check() error {
	if err := t.Common.check(RoleTimestamp); err != nil {
		return err
	}
	return checkHashStructure(RoleSnapshot, t.Meta[RoleSnapshot].Hashes)
}

// decodeSigned decodes the "signed" object of e into v (a *Root, *Targets, …).
func decodeSigned(e *Envelope, v Metadata) error {
	if err := json.Unmarshal(e.Signed, v); err != nil {
		return reasonf(ErrMalformed, "%v", err)
	}
	return nil
}
