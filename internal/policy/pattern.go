package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// Pattern matches normalised image references. It is written like a reference:
// host/path[:tag][@digest]. The host is literal and matched in its canonical spelling
// (see CanonicalRepo), on both sides; in the rest `*` matches within one
// path segment (or within the tag or digest) and `**` matches across segments. A
// pattern without a tag part matches any tag or none; with one, only tagged
// references (likewise for the digest). A name without a registry host is normalised
// as docker does: nginx is docker.io/library/nginx.
type Pattern struct {
	text        string // as written
	canon       string // normalised
	hostWritten string // the host as written, when it is not canonical
	name        *regexp.Regexp
	tag, digest *regexp.Regexp // nil matches anything, including nothing
}

// ParsePattern compiles a pattern; see Pattern.
func ParsePattern(s string) (*Pattern, error) {
	if s == "" {
		return nil, errors.New("empty pattern")
	}
	name, digest, hasDigest := strings.Cut(s, "@")
	var tag string
	hasTag := false
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag, hasTag = name[:i], name[i+1:], true
	}
	segs := strings.Split(name, "/")
	if strings.Contains(segs[0], "*") {
		return nil, fmt.Errorf("pattern %q: the registry host must be literal", s)
	}
	host, path := "docker.io", segs
	// docker's rule: the first part is a host if it has a dot, a port, upper case, or
	// is localhost.
	if len(segs) > 1 && (strings.ContainsAny(segs[0], ".:") || segs[0] == "localhost" || strings.ToLower(segs[0]) != segs[0]) {
		host, path = segs[0], segs[1:]
	}
	if !validHost(host) {
		return nil, fmt.Errorf("pattern %q: invalid registry host %q", s, host)
	}
	written := host
	host = canonicalHost(host)
	if host == "docker.io" && len(path) == 1 && !strings.Contains(path[0], "**") {
		path = []string{"library", path[0]}
	}
	for _, seg := range path {
		if err := checkGlob(seg, "path segment", isPathChar, true); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", s, err)
		}
	}
	p := &Pattern{text: s, canon: host + "/" + strings.Join(path, "/")}
	if written != host {
		p.hostWritten = written
	}
	p.name = compile(p.canon, true)
	if hasTag {
		if err := checkGlob(tag, "tag", isTagChar, false); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", s, err)
		}
		p.canon += ":" + tag
		p.tag = compile(tag, false)
	}
	if hasDigest {
		if err := checkGlob(digest, "digest", isDigestChar, false); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", s, err)
		}
		p.canon += "@" + digest
		p.digest = compile(digest, false)
	}
	return p, nil
}

// validHost accepts host[:port], as docker does.
func validHost(h string) bool {
	// docker's grammar of a registry host (distribution/reference: domain names,
	// [IPv6], an optional numeric port), which a reference's domain must meet too;
	// Parse, unlike ParseNormalizedNamed, keeps index.docker.io as written.
	ref, err := reference.Parse(h + "/x")
	named, ok := ref.(reference.Named)
	return err == nil && ok && reference.Domain(named) == h
}

func isPathChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}
func isTagChar(r rune) bool    { return isPathChar(r) || r >= 'A' && r <= 'Z' }
func isDigestChar(r rune) bool { return isTagChar(r) || r == ':' || r == '+' || r == '=' }

// checkGlob rejects what no reference can match: empty parts, characters references
// do not have, and runs of three stars. `**` only means something in the path.
func checkGlob(s, what string, valid func(rune) bool, doubleStar bool) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if strings.Contains(s, "***") || !doubleStar && strings.Contains(s, "**") {
		return fmt.Errorf("%s %q: too many consecutive *", what, s)
	}
	for _, r := range s {
		if r != '*' && !valid(r) {
			return fmt.Errorf("%s %q: character %q cannot occur in an image reference", what, s, r)
		}
	}
	return nil
}

// compile turns a glob into an anchored regexp; Go's regexps match in linear time,
// whatever the stars.
func compile(glob string, path bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); {
		switch {
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i += 2
		case glob[i] == '*' && path:
			b.WriteString("[^/]*")
			i++
		case glob[i] == '*':
			b.WriteString(".*")
			i++
		default:
			j := strings.IndexByte(glob[i:], '*')
			if j < 0 {
				j = len(glob) - i
			}
			b.WriteString(regexp.QuoteMeta(glob[i : i+j]))
			i += j
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// String is the pattern as written.
func (p *Pattern) String() string { return p.text }

// Normalized is the pattern with docker's defaults filled in.
func (p *Pattern) Normalized() string { return p.canon }

// Respelled is the registry host as written and its canonical spelling, when the
// pattern does not write it canonically; policy lint warns about it.
func (p *Pattern) Respelled() (written, canonical string, ok bool) {
	if p.hostWritten == "" {
		return "", "", false
	}
	host, _, _ := strings.Cut(p.canon, "/")
	return p.hostWritten, host, true
}

// Match tells whether the pattern matches an image, whatever the spelling of its
// registry host.
func (p *Pattern) Match(img Image) bool {
	return p.name.MatchString(CanonicalRepo(img.Repo)) &&
		(p.tag == nil || img.Tag != "" && p.tag.MatchString(img.Tag)) &&
		(p.digest == nil || img.Digest != "" && p.digest.MatchString(img.Digest))
}

// Specificity orders patterns that match the same reference: the more specific wins.
type Specificity struct {
	Prefix    int // characters of the normalised pattern before its first *
	Literal   int // characters that are not *
	Wildcards int // * counts 1, ** counts 2
}

// Specificity of the normalised pattern.
func (p *Pattern) Specificity() Specificity {
	s := Specificity{Prefix: len(p.canon), Literal: len(p.canon) - strings.Count(p.canon, "*"), Wildcards: strings.Count(p.canon, "*")}
	if i := strings.IndexByte(p.canon, '*'); i >= 0 {
		s.Prefix = i
	}
	return s
}

// Compare is positive when s is more specific than o: a longer literal prefix, then
// more literal characters, then fewer wildcards.
func (s Specificity) Compare(o Specificity) int {
	switch {
	case s.Prefix != o.Prefix:
		return s.Prefix - o.Prefix
	case s.Literal != o.Literal:
		return s.Literal - o.Literal
	}
	return o.Wildcards - s.Wildcards
}

// versus says in words why s is less specific than o, which beat it.
func (s Specificity) versus(o Specificity) string {
	switch {
	case s.Prefix != o.Prefix:
		return fmt.Sprintf("shorter literal prefix (%d < %d)", s.Prefix, o.Prefix)
	case s.Literal != o.Literal:
		return fmt.Sprintf("fewer literal characters (%d < %d)", s.Literal, o.Literal)
	case s.Wildcards != o.Wildcards:
		return fmt.Sprintf("more wildcards (%d > %d)", s.Wildcards, o.Wildcards)
	}
	return "as specific, listed later"
}
