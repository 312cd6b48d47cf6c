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
		// Every spelling of a host meets its rules (CanonicalRepo).
		{"registry.example.com/**", "registry.example.com:443/x:1", true},
		{"registry.example.com/**", "registry.example.com:0443/x:1", true},
		{"registry.example.com/**", "Registry.Example.com/x:1", true},
		{"registry.example.com/**", "REGISTRY.EXAMPLE.COM:443/x:1", true},
		{"registry.example.com/**", "registry.example.com:5000/x:1", false},
		{"registry.example.com:443/**", "registry.example.com/x:1", true},
		{"Registry.Example.com/x", "registry.example.com/x:1", true},
		{"localhost:5000/**", "LOCALHOST:05000/x:1", true},
		{"nginx", "registry-1.docker.io/library/nginx:1", true},
		{"nginx", "registry-1.docker.io/nginx:1", true},
		{"nginx", "Index.Docker.IO/nginx:1", true},
		{"nginx", "docker.io:443/library/nginx:1", true},
		{"docker.io/org/*", "registry-1.docker.io/org/app:1", true},
		{"registry-1.docker.io/org/*", "org/app:1", true},
		{"docker.io/**", "registry-1.docker.io.evil.io/org/app:1", false},
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

func TestCanonicalRepo(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com/a/b":           "registry.example.com/a/b",
		"Registry.Example.COM/a":             "registry.example.com/a",
		"registry.example.com:443/a":         "registry.example.com/a",
		"registry.example.com:00443/a":       "registry.example.com/a",
		"registry.example.com:05000/a":       "registry.example.com:5000/a",
		"registry.example.com:99999/a":       "registry.example.com:99999/a",
		"[::1]:443/a":                        "[::1]/a",
		"[::1]/a":                            "[::1]/a",
		"registry-1.docker.io/library/nginx": "docker.io/library/nginx",
		"registry-1.docker.io/nginx":         "docker.io/library/nginx",
		"index.docker.io:443/org/app":        "docker.io/org/app",
		"docker.io/library/nginx":            "docker.io/library/nginx",
		"registry-2.docker.io/nginx":         "registry-2.docker.io/nginx",
		"A/app":                              "a:443/app",
		"A:0443/app":                         "a:443/app",
		"LOCALHOST/app":                      "localhost/app",
	} {
		if got := CanonicalRepo(in); got != want {
			t.Errorf("CanonicalRepo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPatternRespelled(t *testing.T) {
	for pattern, want := range map[string]string{
		"registry.example.com/**":     "",
		"nginx":                       "",
		"docker.io/library/nginx":     "",
		"Registry.Example.com/**":     "registry.example.com",
		"registry.example.com:443/**": "registry.example.com",
		"registry-1.docker.io/nginx":  "docker.io",
		"index.docker.io/org/*":       "docker.io",
		"localhost:05000/x":           "localhost:5000",
	} {
		p, err := ParsePattern(pattern)
		if err != nil {
			t.Fatal(err)
		}
		_, canonical, ok := p.Respelled()
		if ok != (want != "") || canonical != want {
			t.Errorf("%q: Respelled = %q, %v; want %q", pattern, canonical, ok, want)
		}
	}
}

func TestPatternErrors(t *testing.T) {
	for _, s := range []string{
		"", "*.example.com/app", "**", "*/app", "registry.example.com/Team/app",
		"registry.example.com/a b", "registry.example.com//a", "registry.example.com/a/",
		"registry.example.com/***", "nginx:**", "nginx:", "nginx@", "nginx@sha256:**",
		"registry.example.com/[ab]", "registry.example.com/a?", "nginx:tag/x",
		"::443/app", "-registry.example.com/app", "registry..example.com/app", "[::1/app", "registry.example.com:port/app",
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
	f.Add("registry.example.com/**", "Registry.Example.com:443/a:1")
	f.Add("Registry.Example.com:0443/a", "registry.example.com/a:1")
	f.Add("nginx", "registry-1.docker.io/library/nginx:1")
	f.Add("index.docker.io/*", "registry-1.docker.io/nginx@sha256:"+strings.Repeat("a", 64))
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
		if p.Match(i) && !strings.HasPrefix(CanonicalRepo(i.Repo), host+"/") {
			t.Fatalf("%q matches %q on another host", pattern, ref)
		}
		// No spelling of the host escapes: the reference respelled canonically matches
		// exactly when the reference does, and canonical spelling is a fixed point.
		canon := Image{Repo: CanonicalRepo(i.Repo), Tag: i.Tag, Digest: i.Digest}
		if p.Match(i) != p.Match(canon) {
			t.Fatalf("%q matches %q but not its canonical spelling %q (or the reverse)", pattern, i, canon)
		}
		if CanonicalRepo(canon.Repo) != canon.Repo {
			t.Fatalf("CanonicalRepo is not idempotent on %q", canon.Repo)
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
