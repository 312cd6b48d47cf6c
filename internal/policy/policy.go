// Package policy reads the policy file of `trustctl verify` and decides, from facts the
// trust layer found, whether each image may run. It is pure: it takes plain facts and
// never verifies anything itself.
package policy

import (
	"crypto/x509"
	"errors"
	"fmt"
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
	keyIDs map[string]bool // every member's IDs in both forms
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
