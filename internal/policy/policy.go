// Package policy reads the policy file of `trustctl verify` and decides, from facts the
// trust layer found, whether each image may run. It is pure: it takes plain facts and
// never verifies anything itself.
package policy

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidPolicy marks every error in a policy file; errors.Is holds for *Error.
var ErrInvalidPolicy = errors.New("invalid policy")

// Error is a problem at a line of a policy file.
type Error struct {
	File string
	Line int // 0 when the file could not be read
	Err  error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes every Error match ErrInvalidPolicy.
func (e *Error) Is(target error) bool { return target == ErrInvalidPolicy }

// Action is what to do about a trust weakness: deny or warn.
type Action int

const (
	ActionDeny Action = iota
	ActionWarn
)

func (a Action) String() string {
	if a == ActionWarn {
		return "warn"
	}
	return "deny"
}

// Requirement is what a rule asks of an image.
type Requirement int

const (
	// RequireSigned: the reference resolves to a validly signed release.
	RequireSigned Requirement = iota
	// RequireTeams: signed, and every listed team signed the released digest.
	RequireTeams
	// RequireDeny: the image may not run.
	RequireDeny
	// RequireNone: anything runs.
	RequireNone
)

// Policy is a parsed policy file.
type Policy struct {
	file       string
	pins       []*Pin
	onUnpinned Action
	expired    Action
	teams      map[string]*team
	rules      []*rule
	def        *rule
	exceptions []*exception
	warnings   []string
	sources    Sources
	// notaryUntil is the first instant Notary v1 no longer counts as a signature
	// source; zero when it always does.
	notaryUntil time.Time
	notaryDay   string // as written
	tagBinding  TagBinding
}

// Sources are the signature schemes whose verified signatures count (trust.sources).
type Sources struct {
	Notary, Cosign bool
	// Evidence: the Notary v1 signatures kept in migrate's evidence artifacts count, as
	// verified offline at their time of migration, even after trust.notary_until.
	Evidence bool
}

// TagBinding is trust.tag_binding: what a cosign signature must say about the tag of a
// repo:tag reference that only cosign signed.
type TagBinding int

const (
	// TagBindingRequired: the signed docker-reference must name the tag.
	TagBindingRequired TagBinding = iota
	// TagBindingDigest: a signature naming the repository only (cosign sign's default,
	// and every bundle) counts for any tag that points at the digest.
	TagBindingDigest
)

func (b TagBinding) String() string {
	if b == TagBindingDigest {
		return "digest"
	}
	return "required"
}

// Key is a public key the policy trusts for cosign signatures, with the team it belongs
// to and both its key IDs.
type Key struct {
	Team   string
	IDs    []string // certificate ID (for a certificate) and canonical ID
	Public crypto.PublicKey
}

// Pin is a root pin for the trust layer: the root of a repository it covers must be
// signed by one of RootKeys, or chain to CA.
type Pin struct {
	Label    string   // trust.pins[i] <match>, for messages
	RootKeys []string // certificate or canonical key IDs, lower-case hex
	CA       *x509.CertPool
	CAFile   string // absolute path of the CA file; empty when none
	pattern  *Pattern
}

type team struct {
	name   string
	roles  []string
	keyIDs map[string]bool // every member's and key's IDs in both forms
	keys   []Key           // the public keys of PEM members and keys, for cosign
}

type rule struct {
	label   string // rules[i] <match>, or default
	pattern *Pattern
	require Requirement
	teams   []string
	warn    bool
}

type exception struct {
	label   string
	pattern *Pattern
	reason  string
	expires time.Time // the first instant it no longer applies
	day     string    // as written
}

// File is the path the policy was read from.
func (p *Policy) File() string { return p.file }

// Warnings are the file's questionable but valid spellings, one line each, with file
// and line: policy lint prints them.
func (p *Policy) Warnings() []string { return p.warnings }

// OnUnpinned is trust.on_unpinned: what to do with a repository no pin covers.
func (p *Policy) OnUnpinned() Action { return p.onUnpinned }

// Expired is trust.expired: deny, or warn like docker's allow-expired-trust-cache.
func (p *Policy) Expired() Action { return p.expired }

// Sources is trust.sources: the schemes whose signatures count, at any time.
func (p *Policy) Sources() Sources { return p.sources }

// WithEvidence is the policy with evidence added to its sources (verify --evidence).
func (p *Policy) WithEvidence() *Policy {
	q := *p
	q.sources.Evidence = true
	return &q
}

// NotaryCounts tells whether Notary v1 signatures count as a signature source at a
// time: trust.sources lists notary and trust.notary_until has not passed.
func (p *Policy) NotaryCounts(at time.Time) bool {
	return p.sources.Notary && (p.notaryUntil.IsZero() || at.Before(p.notaryUntil))
}

// Keys are the public keys of every team, for verifying cosign signatures, in the
// order of the teams' names and then as listed. A member given as a bare key ID has
// no key here: a cosign signature cannot be checked against an ID.
func (p *Policy) Keys() []Key {
	names := make([]string, 0, len(p.teams))
	for name := range p.teams {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []Key
	for _, name := range names {
		out = append(out, p.teams[name].keys...)
	}
	return out
}

// PinFor returns the most specific pin covering a repository (GUN), whatever the
// spelling of its registry host.
func (p *Policy) PinFor(gun string) (Pin, bool) {
	pattern := func(i int) *Pattern { return p.pins[i].pattern }
	i, _ := rank(matching(len(p.pins), pattern, Image{Repo: gun}), pattern, func(i int) string { return p.pins[i].Label })
	if i < 0 {
		return Pin{}, false
	}
	return *p.pins[i], true
}

// label names a list entry in messages: rules[0] registry.example.com/**.
func label(list string, i int, p *Pattern) string {
	return fmt.Sprintf("%s[%d] %s", list, i, p)
}

func (r Requirement) String() string {
	switch r {
	case RequireTeams:
		return "teams"
	case RequireDeny:
		return "deny"
	case RequireNone:
		return "none"
	}
	return "signed"
}

// describe is the rule's requirement in words.
func (r *rule) describe() string {
	if r.require == RequireTeams {
		return "teams " + strings.Join(r.teams, ", ")
	}
	return r.require.String()
}
