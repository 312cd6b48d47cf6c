package dockertrust

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func TestPluginName(t *testing.T) {
	for _, tc := range []struct {
		argv0, name string
		ok          bool
	}{
		{"/usr/libexec/docker/cli-plugins/docker-trust", "trust", true},
		{"docker-trusttest", "trusttest", true},
		{"docker-trust.exe", "trust", true},
		{"/usr/bin/trustctl", "", false},
		{"docker-", "", false},
		{"docker-Trust", "", false},
		{"docker-trust-linux-amd64", "", false}, // the release file must be renamed, as docker requires
	} {
		name, ok := PluginName(tc.argv0)
		if ok != tc.ok || (ok && name != tc.name) {
			t.Errorf("PluginName(%q) = %q, %v; want %q, %v", tc.argv0, name, ok, tc.name, tc.ok)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	tags := []repo.SignedTag{{SignedTag: "latest"}, {SignedTag: "1.10"}, {SignedTag: "v2"}, {SignedTag: "1.9"},
		{SignedTag: "1.09"}, {SignedTag: "1.9a"}, {SignedTag: "10"}, {SignedTag: "2"}}
	sortNatural(tags)
	var got []string
	for _, tag := range tags {
		got = append(got, tag.SignedTag)
	}
	// docker (fvbommel/sortorder): numbers by value, then fewer leading zeros (which
	// decides before what follows), digits
	// before letters
	want := []string{"1.9", "1.9a", "1.09", "1.10", "2", "10", "latest", "v2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCheckTag(t *testing.T) {
	for _, tc := range []struct{ arg, err string }{
		{"registry.example.com/app:1.0", ""},
		{"registry.example.com/app", "no tag specified for registry.example.com/app"},
		{"registry.example.com/app@sha256:" + strings.Repeat("a", 64), "cannot use a digest reference for IMAGE:TAG"},
	} {
		im, err := parseImage(tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		err = checkTag(im)
		if (tc.err == "") != (err == nil) || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: got %v, want %q", tc.arg, err, tc.err)
		}
	}
}

func vars(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPassphrases(t *testing.T) {
	t.Run("variables by role", func(t *testing.T) {
		p := newPassphrases(vars(map[string]string{"DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE": "root-pass",
			"DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE": "repo-pass", "NOTARY_TARGETS_PASSPHRASE": "ignored"}),
			newLineReader(nil), &bytes.Buffer{}, nil)
		for alias, want := range map[string]string{"root": "root-pass", "targets": "repo-pass", "snapshot": "repo-pass", "alice": "repo-pass"} {
			if got, err := p.Passphrase(alias, "abc", false, 0); err != nil || got != want {
				t.Errorf("%s: %q, %v; want %q", alias, got, err, want)
			}
		}
		if _, err := p.Passphrase("root", "abc", false, 1); !errors.Is(err, keys.ErrWrongPassphrase) {
			t.Errorf("a wrong variable is asked again: %v", err)
		}
	})
	t.Run("piped prompts, one line each, cached by role", func(t *testing.T) {
		var out bytes.Buffer
		p := newPassphrases(vars(nil), newLineReader(strings.NewReader("first-pass\nfirst-pass\nsecond\n")), &out, nil)
		got, err := p.Passphrase("targets", "0123456789abcdef", true, 0)
		if err != nil || got != "first-pass" {
			t.Fatalf("%q, %v", got, err)
		}
		want := "Enter passphrase for new repository key with ID 0123456: \nRepeat passphrase for new repository key with ID 0123456: \n"
		if out.String() != want {
			t.Errorf("prompts %q, want %q", out.String(), want)
		}
		if got, _ := p.Passphrase("targets", "fedcba9876543210", false, 0); got != "first-pass" {
			t.Errorf("not cached: %q", got)
		}
		out.Reset()
		if got, _ := p.Passphrase("alice", "fedcba9876543210", false, 0); got != "second" {
			t.Errorf("third line: %q", got)
		}
		if out.String() != "Enter passphrase for alice key with ID fedcba9: \n" {
			t.Errorf("prompt %q", out.String())
		}
	})
	t.Run("new root key: warning; short and mismatched refused", func(t *testing.T) {
		var out bytes.Buffer
		p := newPassphrases(vars(nil), newLineReader(strings.NewReader("short\nlong-enough\nother-one\n")), &out, nil)
		if _, err := p.Passphrase("root", "0123456789", true, 0); !errors.Is(err, keys.ErrNoPassphrase) {
			t.Errorf("short: %v", err)
		}
		if !strings.HasPrefix(out.String(), "You are about to create a new root signing key passphrase.") ||
			!strings.Contains(out.String(), "Passphrase is too short.") {
			t.Errorf("output %q", out.String())
		}
		out.Reset()
		if _, err := p.Passphrase("root", "0123456789", true, 1); !errors.Is(err, keys.ErrNoPassphrase) ||
			!strings.Contains(out.String(), "Passphrases do not match. Please retry.") {
			t.Errorf("mismatch: %v, %q", err, out.String())
		}
	})
	t.Run("closed stdin", func(t *testing.T) {
		p := newPassphrases(vars(nil), newLineReader(strings.NewReader("")), &bytes.Buffer{}, nil)
		if _, err := p.Passphrase("targets", "0123456789", false, 0); !errors.Is(err, keys.ErrNoPassphrase) {
			t.Errorf("got %v", err)
		}
	})
}

func TestIsLastSigner(t *testing.T) {
	key := func(seed byte) tuf.PublicKey {
		return tuf.PublicKey{Type: "ecdsa", Public: []byte{seed}}
	}
	a, b := key(1), key(2)
	role := func(name string, threshold int, signedBy []string, ks ...tuf.PublicKey) *tuf.TargetsRole {
		r := &tuf.TargetsRole{Name: name, Threshold: threshold, Keys: map[string]tuf.PublicKey{}, SignedBy: signedBy}
		for _, k := range ks {
			r.KeyIDs = append(r.KeyIDs, k.ID())
			r.Keys[k.ID()] = k
		}
		return r
	}
	alice := role("targets/alice", 1, nil, a)
	for _, tc := range []struct {
		name     string
		releases *tuf.TargetsRole
		last     bool
		err      bool
	}{
		{"only alice signed", role(repo.ReleasesRole, 1, []string{a.ID()}, a, b), true, false},
		{"bob signed too", role(repo.ReleasesRole, 1, []string{a.ID(), b.ID()}, a, b), false, false},
		{"threshold 2", role(repo.ReleasesRole, 2, []string{a.ID(), b.ID()}, a, b), true, false},
		{"nothing signed", role(repo.ReleasesRole, 1, nil, a), false, true},
		{"no releases role", nil, false, true},
	} {
		last, err := isLastSigner(alice, tc.releases)
		if last != tc.last || (err != nil) != tc.err {
			t.Errorf("%s: %v, %v; want %v, error %v", tc.name, last, err, tc.last, tc.err)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{errors.New("boom"), 1, "boom\n"},
		{statusError{code: 125, msg: "unknown flag"}, 125, "unknown flag\n"},
		{errCancelled, 0, ""},
	} {
		var w bytes.Buffer
		if code := exitCode(&w, tc.err); code != tc.code || w.String() != tc.out {
			t.Errorf("%v: %d %q, want %d %q", tc.err, code, w.String(), tc.code, tc.out)
		}
	}
}

// FuzzReadPublicKey: a signer's public key file, which the repository owner receives
// from someone else, never panics the parser, and what it accepts is a usable key.
func FuzzReadPublicKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("not pem"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := dir + "/key.pub"
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := readPublicKey(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) && !strings.HasPrefix(err.Error(), "unable to read") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := k.CryptoPublicKey(); err != nil {
			t.Errorf("accepted an unusable key: %v", err)
		}
	})
}
