package policy

import (
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, ref string
		match        bool
	}{
		{"registry.example.com/**", "registry.example.com/a:1", true},
		{"registry.example.com/**", "registry.example.com/a/b/c:1", true},
		{"registry.example.com/**", "registry.example.com.evil.io/x:1", false},
		{"registry.example.com/**", "evil.io/registry.example.com/x:1", false},
		{"registry.example.com/**", "registry.example.com:443/x:1", false},
		{"registry.example.com/*", "registry.example.com/a:1", true},
		{"registry.example.com/*", "registry.example.com/a/b:1", false},
		{"registry.example.com/*/app", "registry.example.com/team/app:1", true},
		{"registry.example.com/*/app", "registry.example.com/team/sub/app:1", false},
		{"registry.example.com/**/app", "registry.example.com/team/sub/app:1", true},
		{"registry.example.com/**/app", "registry.example.com/app:1", false},
		{"registry.example.com/app-*", "registry.example.com/app-web:1", true},
		{"localhost:5000/app", "localhost:5000/app:1", true},
		{"nginx", "nginx", true},
		{"nginx", "docker.io/library/nginx:1.27", true},
		{"library/nginx", "nginx:1", true},
		{"index.docker.io/nginx", "nginx:1", true},
		{"docker.io/*", "nginx:1", true},
		{"docker.io/*", "org/app:1", false},
		{"docker.io/**", "org/app:1", true},
		{"org/*", "org/app:1", true},
		{"nginx:1.*", "nginx:1.27", true},
		{"nginx:1.*", "nginx:2.0", false},
		{"nginx:*", "nginx@sha256:" + strings.Repeat("a", 64), false},
		{"nginx@sha256:*", "nginx@sha256:" + strings.Repeat("a", 64), true},
		{"nginx@sha256:*", "nginx:1", false},
		{"nginx:1@sha256:" + strings.Repeat("a", 64), "nginx:1@sha256:" + strings.Repeat("a", 64), true},
		{"nginx:1@sha256:" + strings.Repeat("a", 64), "nginx:1@sha256:" + strings.Repeat("b", 64), false},
		{"nginx:1", "nginx:1@sha256:" + strings.Repeat("b", 64), true},
		{"registry.example.com/tools/debug:*", "registry.example.com/tools/debug:hotfix", true},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tt.pattern, err)
			continue
		}
		if got := p.Match(img(t, tt.ref)); got != tt.match {
			t.Errorf("%q (%s) matches %q = %v, want %v", tt.pattern, p.Normalized(), tt.ref, got, tt.match)
		}
	}
}

func TestPatternErrors(t *testing.T) {
	for _, s := range []string{
		"", "*.example.com/app", "**", "*/app", "registry.example.com/Team/app",
		"registry.example.com/a b", "registry.example.com//a", "registry.example.com/a/",
		"registry.example.com/***", "nginx:**", "nginx:", "nginx@", "nginx@sha256:**",
		"registry.example.com/[ab]", "registry.example.com/a?", "nginx:tag/x",
	} {
		if p, err := ParsePattern(s); err == nil {
			t.Errorf("ParsePattern(%q) = %s, want an error", s, p.Normalized())
		}
	}
}

func TestSpecificity(t *testing.T) {
	// Each pattern is more specific than the next.
	order := []string{
		"registry.example.com/payments/api:1.4",
		"registry.example.com/payments/api:1.*",
		"registry.example.com/payments/api:*",
		"registry.example.com/payments/api",
		"registry.example.com/payments/api*",
		"registry.example.com/payments/*",
		"registry.example.com/payments/**",
		"registry.example.com/*/api",
		"registry.example.com/**",
	}
	for i := 0; i+1 < len(order); i++ {
		a, _ := ParsePattern(order[i])
		b, _ := ParsePattern(order[i+1])
		if c := a.Specificity().Compare(b.Specificity()); c <= 0 {
			t.Errorf("%s (%+v) is not more specific than %s (%+v)", a, a.Specificity(), b, b.Specificity())
		}
		if c := b.Specificity().Compare(a.Specificity()); c >= 0 {
			t.Errorf("Compare is not antisymmetric for %s and %s", a, b)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("registry.example.com/**", "registry.example.com/a/b:1")
	f.Add("nginx:1.*", "nginx:1.2")
	f.Add("docker.io/*", "nginx@sha256:"+strings.Repeat("a", 64))
	f.Add("localhost:5000/*/x*y:t*@sha256:*", "localhost:5000/a/xzzy:tag@sha256:"+strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, pattern, ref string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		// A normalised pattern means the same as the pattern.
		q, err := ParsePattern(p.Normalized())
		if err != nil || q.Normalized() != p.Normalized() {
			t.Fatalf("normalised %q does not parse to itself: %v", p.Normalized(), err)
		}
		i, err := ParseImage(ref)
		if err != nil {
			return
		}
		host, _, _ := strings.Cut(p.Normalized(), "/")
		if p.Match(i) && !strings.HasPrefix(i.Repo, host+"/") {
			t.Fatalf("%q matches %q on another host", pattern, ref)
		}
		// Every reference matches itself as a pattern, and nothing is more specific.
		self, err := ParsePattern(i.String())
		if err != nil {
			t.Fatalf("reference %q is not a valid pattern: %v", i, err)
		}
		if !self.Match(i) {
			t.Fatalf("%q does not match itself", i)
		}
		if p.Match(i) && p.Specificity().Compare(self.Specificity()) > 0 {
			t.Fatalf("%q is more specific than the reference %q itself", pattern, i)
		}
	})
}
