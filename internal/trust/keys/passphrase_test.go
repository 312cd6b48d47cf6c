package keys

import (
	"errors"
	"strings"
	"testing"
)

func TestPassphraseFromEnv(t *testing.T) {
	all := map[string]string{
		"NOTARY_ROOT_PASSPHRASE":                     "notary-root",
		"NOTARY_TARGETS_PASSPHRASE":                  "notary-targets",
		"NOTARY_SNAPSHOT_PASSPHRASE":                 "notary-snapshot",
		"NOTARY_DELEGATION_PASSPHRASE":               "notary-delegation",
		"DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE":       "docker-root",
		"DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE": "docker-repo",
	}
	without := func(names ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, n := range names {
			m[n] = "" // empty counts as unset
		}
		return m
	}
	tests := []struct {
		alias string
		env   map[string]string
		want  string
	}{
		{"root", all, "notary-root"},
		{"root", without("NOTARY_ROOT_PASSPHRASE"), "docker-root"},
		{"targets", all, "notary-targets"},
		{"targets", without("NOTARY_TARGETS_PASSPHRASE"), "docker-repo"},
		{"snapshot", all, "notary-snapshot"},
		{"snapshot", without("NOTARY_SNAPSHOT_PASSPHRASE"), "docker-repo"},
		{"timestamp", all, "docker-repo"},
		{"delegation", all, "notary-delegation"},
		{"alice", all, "notary-delegation"},
		{"targets/releases", all, "notary-delegation"},
		{"alice", without("NOTARY_DELEGATION_PASSPHRASE"), "docker-repo"},
	}
	for _, tt := range tests {
		for _, newKey := range []bool{false, true} {
			got, err := envSource(tt.env).Passphrase(tt.alias, "id", newKey, 0)
			if err != nil || got != tt.want {
				t.Errorf("%s (new %v): %q, %v; want %q", tt.alias, newKey, got, err, tt.want)
			}
		}
	}
}

func TestPassphraseErrors(t *testing.T) {
	src := envSource(map[string]string{"NOTARY_ROOT_PASSPHRASE": "x"})
	if _, err := src.Passphrase("root", "id", false, 1); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("second attempt with a variable: %v", err)
	}
	tests := map[string]string{
		"root":    "set NOTARY_ROOT_PASSPHRASE or DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, or run in a terminal",
		"targets": "set NOTARY_TARGETS_PASSPHRASE or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
		"alice":   "set NOTARY_DELEGATION_PASSPHRASE or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
	}
	for alias, want := range tests {
		_, err := envSource(nil).Passphrase(alias, "abc", false, 0)
		if !errors.Is(err, ErrNoPassphrase) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", alias, err)
		}
	}
}

func TestPromptNewPassphrase(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		want    string
		prompts int
	}{
		{"trimmed and confirmed", []string{" long-enough \n", "long-enough"}, "long-enough", 2},
		{"too short then ok", []string{"short", "long-enough", "long-enough"}, "long-enough", 3},
		{"mismatch then ok", []string{"long-enough", "other-one", "long-enough", "long-enough"}, "long-enough", 4},
		{"gives up", []string{"a", "b", "c", "long-enough", "long-enough"}, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePrompter{answers: tt.answers}
			got, err := NewPassphraseSource(func(string) string { return "" }, p).Passphrase("targets", "abc", true, 0)
			if got != tt.want || len(p.prompts) != tt.prompts || (tt.want == "") != (err != nil) {
				t.Errorf("got %q, %v after prompts %q", got, err, p.prompts)
			}
			if !strings.Contains(p.prompts[0], "new targets key with ID abc") {
				t.Errorf("prompt %q", p.prompts[0])
			}
		})
	}
}
