package policy

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/yamlerr"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Load reads and checks a policy file. Every error matches ErrInvalidPolicy and names
// the file and line.
func Load(path string) (*Policy, error) {
	data, err := fsread.ReadFile(path, fsread.PolicyLimit)
	if err != nil {
		return nil, &Error{File: path, Err: unwrapPath(err)}
	}
	return Parse(path, data)
}

// Parse checks a policy read from name; certificate and CA paths in it are relative to
// the directory of name.
func Parse(name string, data []byte) (*Policy, error) {
	ps := &parser{file: name, dir: filepath.Dir(name)}
	return ps.policy(data)
}

// unwrapPath drops the path of an error about the file an Error already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type parser struct {
	file, dir string
	warnings  []string
	sourcesAt *yaml.Node // trust.sources, for the warning about cosign without keys
}

func (ps *parser) errf(n *yaml.Node, format string, args ...any) error {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	return &Error{File: ps.file, Line: line, Err: fmt.Errorf(format, args...)}
}

// field is a key of a mapping and its value.
type field struct {
	key, val *yaml.Node
}

// fields checks that n is a mapping with only known, unique keys.
func (ps *parser) fields(n *yaml.Node, what string, known ...string) (map[string]field, error) {
	if n.Kind != yaml.MappingNode {
		return nil, ps.errf(n, "%s must be a mapping", what)
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || !contains(known, k.Value) {
			return nil, ps.errf(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, ps.errf(k, "duplicate key %q in %s", k.Value, what)
		}
		out[k.Value] = field{k, v}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// str is a scalar value.
func (ps *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.Value == "" {
		return "", ps.errf(n, "%s must be a non-empty string", what)
	}
	return n.Value, nil
}

// strs is a sequence of scalars.
func (ps *parser) strs(n *yaml.Node, what string) ([]string, []*yaml.Node, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nil, ps.errf(n, "%s must be a list", what)
	}
	var out []string
	var nodes []*yaml.Node
	for i, e := range n.Content {
		e = resolve(e)
		s, err := ps.str(e, fmt.Sprintf("%s[%d]", what, i))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		nodes = append(nodes, e)
	}
	return out, nodes, nil
}

func (ps *parser) oneOf(n *yaml.Node, what string, allowed ...string) (string, error) {
	s, err := ps.str(n, what)
	if err == nil && !contains(allowed, s) {
		err = ps.errf(n, "%s must be %s, not %q", what, strings.Join(allowed, " or "), s)
	}
	return s, err
}

func (ps *parser) pattern(n *yaml.Node, what string) (*Pattern, error) {
	s, err := ps.str(n, what)
	if err != nil {
		return nil, err
	}
	p, err := ParsePattern(s)
	if err != nil {
		return nil, ps.errf(n, "%s: %v", what, err)
	}
	if written, canonical, ok := p.Respelled(); ok {
		ps.warnings = append(ps.warnings, ps.errf(n, "%s: registry host %q is not canonical, write %q (the pattern matches every spelling of the host)", what, written, canonical).Error())
	}
	return p, nil
}

func (ps *parser) policy(data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlerr.Locate(data, err)
		return nil, &Error{File: ps.file, Line: max(line, 1), Err: errors.New(msg)}
	}
	if len(doc.Content) == 0 {
		return nil, ps.errf(nil, "empty policy file")
	}
	top, err := ps.fields(doc.Content[0], "the policy", "version", "trust", "teams", "rules", "default", "exceptions")
	if err != nil {
		return nil, err
	}
	v, ok := top["version"]
	if !ok {
		return nil, ps.errf(doc.Content[0], "version is required")
	}
	if v.val.Kind != yaml.ScalarNode || v.val.ShortTag() != "!!int" || v.val.Value != "1" {
		return nil, ps.errf(v.val, "unsupported policy version %q, want 1", v.val.Value)
	}
	p := &Policy{file: ps.file, onUnpinned: ActionWarn, expired: ActionDeny, teams: map[string]*team{}, sources: Sources{Notary: true}}
	if f, ok := top["trust"]; ok {
		if err := ps.trust(f.val, p); err != nil {
			return nil, err
		}
	}
	if f, ok := top["teams"]; ok {
		if err := ps.teams(f.val, p); err != nil {
			return nil, err
		}
	}
	if f, ok := top["rules"]; ok {
		if f.val.Kind != yaml.SequenceNode {
			return nil, ps.errf(f.val, "rules must be a list")
		}
		for i, n := range f.val.Content {
			r, err := ps.rule(resolve(n), fmt.Sprintf("rules[%d]", i), p, true)
			if err != nil {
				return nil, err
			}
			r.label = label("rules", i, r.pattern)
			p.rules = append(p.rules, r)
		}
	}
	p.def = &rule{label: "default", require: RequireSigned}
	if f, ok := top["default"]; ok {
		if p.def, err = ps.rule(f.val, "default", p, false); err != nil {
			return nil, err
		}
		p.def.label = "default"
	}
	if f, ok := top["exceptions"]; ok {
		if err := ps.exceptions(f.val, p); err != nil {
			return nil, err
		}
	}
	if p.sources.Cosign && len(p.Keys()) == 0 {
		ps.warnings = append(ps.warnings, ps.errf(ps.sourcesAt, "trust.sources lists cosign, but no team has a key file (members or keys as PEM): no cosign signature can count").Error())
	}
	if p.sources.Evidence && len(p.pins) == 0 {
		// Evidence carries its own root: without a pin, whoever can push to the
		// repository can attach evidence signed by a root of their own.
		ps.warnings = append(ps.warnings, ps.errf(ps.sourcesAt, "trust.sources lists evidence, but trust.pins is empty: each evidence's own root is trusted (pin the roots with trustctl policy pin)").Error())
	}
	p.warnings = ps.warnings
	return p, nil
}

func (ps *parser) trust(n *yaml.Node, p *Policy) error {
	fs, err := ps.fields(n, "trust", "pins", "on_unpinned", "expired", "sources", "notary_until", "tag_binding")
	if err != nil {
		return err
	}
	if err := ps.sources(n, fs, p); err != nil {
		return err
	}
	for _, setting := range []struct {
		key string
		dst *Action
	}{{"on_unpinned", &p.onUnpinned}, {"expired", &p.expired}} {
		key, dst := setting.key, setting.dst
		f, ok := fs[key]
		if !ok {
			continue
		}
		s, err := ps.oneOf(f.val, "trust."+key, "deny", "warn")
		if err != nil {
			return err
		}
		*dst = ActionDeny
		if s == "warn" {
			*dst = ActionWarn
		}
	}
	f, ok := fs["pins"]
	if !ok {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		return ps.errf(f.val, "trust.pins must be a list")
	}
	for i, n := range f.val.Content {
		what := fmt.Sprintf("trust.pins[%d]", i)
		pin, err := ps.pin(resolve(n), what)
		if err != nil {
			return err
		}
		pin.Label = label("trust.pins", i, pin.pattern)
		p.pins = append(p.pins, pin)
	}
	return nil
}

// sources reads trust.sources, trust.notary_until and trust.tag_binding.
func (ps *parser) sources(n *yaml.Node, fs map[string]field, p *Policy) error {
	if f, ok := fs["sources"]; ok {
		ps.sourcesAt = f.val
		names, nodes, err := ps.strs(f.val, "trust.sources")
		if err != nil {
			return err
		}
		if len(names) == 0 {
			return ps.errf(f.val, "trust.sources is empty (list notary, cosign, evidence)")
		}
		p.sources = Sources{}
		for i, name := range names {
			dst := map[string]*bool{"notary": &p.sources.Notary, "cosign": &p.sources.Cosign, "evidence": &p.sources.Evidence}[name]
			switch {
			case dst == nil:
				return ps.errf(nodes[i], "trust.sources[%d] must be notary, cosign or evidence, not %q", i, name)
			case *dst:
				return ps.errf(nodes[i], "trust.sources[%d]: %s is listed twice", i, name)
			}
			*dst = true
		}
	}
	if f, ok := fs["notary_until"]; ok {
		day, err := ps.str(f.val, "trust.notary_until")
		if err != nil {
			return err
		}
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return ps.errf(f.val, "trust.notary_until: %q is not a date (YYYY-MM-DD)", day)
		}
		if !p.sources.Notary || !p.sources.Cosign && !p.sources.Evidence {
			return ps.errf(f.val, "trust.notary_until needs trust.sources [notary, cosign] (or evidence): after it, Notary v1 counts only as evidence")
		}
		// Notary v1 counts through that day, in UTC, as an exception does.
		p.notaryUntil, p.notaryDay = t.AddDate(0, 0, 1), day
	}
	if f, ok := fs["tag_binding"]; ok {
		s, err := ps.oneOf(f.val, "trust.tag_binding", "required", "digest")
		if err != nil {
			return err
		}
		if s == "digest" {
			p.tagBinding = TagBindingDigest
		}
	}
	return nil
}

var keyID = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func (ps *parser) pin(n *yaml.Node, what string) (*Pin, error) {
	fs, err := ps.fields(n, what, "match", "root_keys", "ca")
	if err != nil {
		return nil, err
	}
	m, ok := fs["match"]
	if !ok {
		return nil, ps.errf(n, "%s: match is required", what)
	}
	pin := &Pin{}
	if pin.pattern, err = ps.pattern(m.val, what+".match"); err != nil {
		return nil, err
	}
	if pin.pattern.tag != nil || pin.pattern.digest != nil {
		return nil, ps.errf(m.val, "%s.match: a pin covers repositories, not tags or digests", what)
	}
	if f, ok := fs["root_keys"]; ok {
		ids, nodes, err := ps.strs(f.val, what+".root_keys")
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			if !keyID.MatchString(id) {
				return nil, ps.errf(nodes[i], "%s.root_keys[%d]: %q is not a key ID (64 hex digits)", what, i, id)
			}
			pin.RootKeys = append(pin.RootKeys, strings.ToLower(id))
		}
	}
	if f, ok := fs["ca"]; ok {
		path, err := ps.str(f.val, what+".ca")
		if err != nil {
			return nil, err
		}
		pin.CAFile = ps.path(path)
		data, err := fsread.ReadFile(pin.CAFile, fsread.PEMLimit)
		if err != nil {
			return nil, ps.errf(f.val, "%s.ca: %v", what, err)
		}
		pin.CA = x509.NewCertPool()
		if !pin.CA.AppendCertsFromPEM(data) {
			return nil, ps.errf(f.val, "%s.ca: no PEM certificate in %s", what, path)
		}
	}
	if len(pin.RootKeys) == 0 && pin.CA == nil {
		return nil, ps.errf(n, "%s: root_keys or ca is required", what)
	}
	return pin, nil
}

// path makes a path in the policy relative to the policy's directory.
func (ps *parser) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	abs, err := filepath.Abs(filepath.Join(ps.dir, p))
	if err != nil {
		return filepath.Join(ps.dir, p)
	}
	return abs
}

func (ps *parser) teams(n *yaml.Node, p *Policy) error {
	if n.Kind != yaml.MappingNode {
		return ps.errf(n, "teams must be a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name, err := ps.str(k, "team name")
		if err != nil {
			return err
		}
		if _, dup := p.teams[name]; dup {
			return ps.errf(k, "duplicate team %q", name)
		}
		what := "teams." + name
		fs, err := ps.fields(v, what, "roles", "members", "keys")
		if err != nil {
			return err
		}
		t := &team{name: name, keyIDs: map[string]bool{}}
		if f, ok := fs["roles"]; ok {
			roles, nodes, err := ps.strs(f.val, what+".roles")
			if err != nil {
				return err
			}
			for i, r := range roles {
				if r != "targets" && !strings.HasPrefix(r, "targets/") {
					return ps.errf(nodes[i], "%s.roles[%d]: %q is not a targets role", what, i, r)
				}
			}
			t.roles = roles
		}
		if f, ok := fs["members"]; ok {
			members, nodes, err := ps.strs(f.val, what+".members")
			if err != nil {
				return err
			}
			for i, m := range members {
				if keyID.MatchString(m) {
					t.keyIDs[strings.ToLower(m)] = true
					continue
				}
				key, err := ps.publicKey(m)
				if err != nil {
					return ps.errf(nodes[i], "%s.members[%d]: %v", what, i, err)
				}
				t.add(key)
			}
		}
		if f, ok := fs["keys"]; ok {
			files, nodes, err := ps.strs(f.val, what+".keys")
			if err != nil {
				return err
			}
			for i, m := range files {
				key, err := ps.publicKey(m)
				if err != nil {
					return ps.errf(nodes[i], "%s.keys[%d]: %v", what, i, err)
				}
				t.add(key)
			}
		}
		if len(t.roles) == 0 && len(t.keyIDs) == 0 {
			return ps.errf(k, "team %q has neither roles, members nor keys", name)
		}
		p.teams[name] = t
	}
	return nil
}

// add makes key one of the team's: its IDs match Notary v1 role signatures, the key
// verifies cosign signatures.
func (t *team) add(key Key) {
	key.Team = t.name
	for _, id := range key.IDs {
		t.keyIDs[id] = true
	}
	t.keys = append(t.keys, key)
}

// publicKey is the first certificate or public key of a PEM file, with both its key
// IDs (certificate ID and canonical ID, which are equal for a bare public key).
func (ps *parser) publicKey(m string) (Key, error) {
	data, err := fsread.ReadFile(ps.path(m), fsread.PEMLimit)
	if err != nil {
		return Key{}, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		var key tuf.PublicKey
		var pub crypto.PublicKey
		switch block.Type {
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return Key{}, fmt.Errorf("%s: %w", m, err)
			}
			pub = cert.PublicKey
			key, err = tuf.PublicKeyFromCertificate(cert)
			if err != nil {
				return Key{}, fmt.Errorf("%s: %w", m, err)
			}
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return Key{}, fmt.Errorf("%s: %w", m, err)
			}
			key, err = tuf.PublicKeyFromCrypto(pub)
			if err != nil {
				return Key{}, fmt.Errorf("%s: %w", m, err)
			}
		default:
			continue
		}
		canonical, err := key.CanonicalID()
		if err != nil {
			return Key{}, fmt.Errorf("%s: %w", m, err)
		}
		return Key{IDs: slices.Compact([]string{key.ID(), canonical}), Public: pub}, nil
	}
	return Key{}, fmt.Errorf("%s: no PEM certificate or public key", m)
}

func (ps *parser) rule(n *yaml.Node, what string, p *Policy, isRule bool) (*rule, error) {
	known := []string{"require", "mode"}
	if isRule {
		known = append(known, "match")
	}
	fs, err := ps.fields(n, what, known...)
	if err != nil {
		return nil, err
	}
	r := &rule{}
	if isRule {
		m, ok := fs["match"]
		if !ok {
			return nil, ps.errf(n, "%s: match is required", what)
		}
		if r.pattern, err = ps.pattern(m.val, what+".match"); err != nil {
			return nil, err
		}
	}
	req, ok := fs["require"]
	if !ok {
		return nil, ps.errf(n, "%s: require is required", what)
	}
	switch {
	case req.val.Kind == yaml.ScalarNode:
		s, err := ps.oneOf(req.val, what+".require", "signed", "deny", "none")
		if err != nil {
			return nil, err
		}
		r.require = map[string]Requirement{"signed": RequireSigned, "deny": RequireDeny, "none": RequireNone}[s]
	case !isRule:
		return nil, ps.errf(req.val, "%s.require must be signed, deny or none", what)
	default:
		tf, err := ps.fields(req.val, what+".require", "teams")
		if err != nil {
			return nil, err
		}
		t, ok := tf["teams"]
		if !ok {
			return nil, ps.errf(req.val, "%s.require: teams is required", what)
		}
		names, nodes, err := ps.strs(t.val, what+".require.teams")
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, ps.errf(t.val, "%s.require.teams is empty", what)
		}
		for i, name := range names {
			if p.teams[name] == nil {
				return nil, ps.errf(nodes[i], "%s.require.teams: unknown team %q", what, name)
			}
		}
		r.require, r.teams = RequireTeams, names
	}
	if f, ok := fs["mode"]; ok {
		s, err := ps.oneOf(f.val, what+".mode", "enforce", "warn")
		if err != nil {
			return nil, err
		}
		r.warn = s == "warn"
	}
	return r, nil
}

func (ps *parser) exceptions(n *yaml.Node, p *Policy) error {
	if n.Kind != yaml.SequenceNode {
		return ps.errf(n, "exceptions must be a list")
	}
	for i, e := range n.Content {
		e = resolve(e)
		what := fmt.Sprintf("exceptions[%d]", i)
		fs, err := ps.fields(e, what, "match", "reason", "expires")
		if err != nil {
			return err
		}
		for _, key := range []string{"match", "reason", "expires"} {
			if _, ok := fs[key]; !ok {
				return ps.errf(e, "%s: %s is required", what, key)
			}
		}
		x := &exception{}
		if x.pattern, err = ps.pattern(fs["match"].val, what+".match"); err != nil {
			return err
		}
		if x.reason, err = ps.str(fs["reason"].val, what+".reason"); err != nil {
			return err
		}
		exp := fs["expires"].val
		if x.day, err = ps.str(exp, what+".expires"); err != nil {
			return err
		}
		day, err := time.Parse(time.DateOnly, x.day)
		if err != nil {
			return ps.errf(exp, "%s.expires: %q is not a date (YYYY-MM-DD)", what, x.day)
		}
		// The exception holds through its last day, in UTC.
		x.expires = day.AddDate(0, 0, 1)
		x.label = label("exceptions", i, x.pattern)
		p.exceptions = append(p.exceptions, x)
	}
	return nil
}
