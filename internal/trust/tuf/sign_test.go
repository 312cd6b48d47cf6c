package tuf_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/testenv"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// TestFixtureFilesRoundTrip re-encodes every metadata file notary wrote: MarshalFile
// must reproduce it byte for byte (HTML-escaped canonical "signed", member order, no
// newline), which also proves CanonicalJSON equals the form notary signed.
func TestFixtureFilesRoundTrip(t *testing.T) {
	n := 0
	err := filepath.WalkDir(testenv.Fixtures(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || !strings.Contains(filepath.ToSlash(p), "/tuf/") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		env, err := tuf.ParseEnvelope(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		got, err := env.MarshalFile()
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if !bytes.Equal(got, data) {
			t.Errorf("%s: re-encoded file differs\n got %s\nwant %s", p, got, data)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("only %d metadata files found", n)
	}
}

func TestCanonicalJSON(t *testing.T) {
	cases := map[string]string{
		`{"b":1, "a":[true,null,"x"]}`:  `{"a":[true,null,"x"],"b":1}`,
		`{"n":1e2,"m":-0,"k":1.0}`:      `{"k":1,"m":0,"n":100}`,
		`"\u003c\u2028\"\\é\n"`:         "\"<\u2028\\\"\\\\é\n\"",
		`{"z":{"y":1,"x":2},"a":"<&>"}`: `{"a":"<&>","z":{"x":2,"y":1}}`,
	}
	for in, want := range cases {
		got, err := tuf.CanonicalJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("CanonicalJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{`{"n":1.5}`, `1e40`, `{"a":1} {}`, `{"a":`, `[` + strings.Repeat("[", 20000)} {
		if got, err := tuf.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("CanonicalJSON(%.20s) = %s, want an error", bad, got)
		}
	}
}

// TestSignedOddCharactersVerify signs what notary's oddchars experiment published:
// HTML characters, U+2028, quotes, non-ASCII, and custom data notary mishandles.
func TestSignedOddCharactersVerify(t *testing.T) {
	r := tuftest.New(t, "registry.example.com/odd", now)
	for _, name := range []string{"<b>&", "é", "日本", "a\u2028b", `q"uote`, `back\slash`, "del\x7f", "😀", "with space", "/lead"} {
		r.AddTarget(tuf.RoleTargets, name, []byte(name))
	}
	fm := tuf.NewFileMeta([]byte("custom"))
	fm.Custom = json.RawMessage(`{"b":1, "a":{"y":"<html>&","x":1e2}, "u":"\u00e9"}`)
	r.Targets[tuf.RoleTargets].Targets["custom"] = fm
	r.Publish(t)
	if !bytes.Contains(r.Files[tuf.RoleTargets], []byte(`\u003cb\u003e\u0026`)) {
		t.Error("file bytes are not HTML-escaped like notary's")
	}
	if !bytes.Contains(r.Files[tuf.RoleTargets], []byte(`"custom":{"a":{"x":100,"y":"\u003chtml\u003e\u0026"},"b":1,"u":"é"}`)) {
		t.Errorf("custom data not canonicalised: %s", r.Files[tuf.RoleTargets])
	}
	if _, err := tuf.Verify(r.GUN, r.Source(), tuf.VerifyOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefuses(t *testing.T) {
	r := tuftest.New(t, "registry.example.com/odd", now)
	targets := r.Targets[tuf.RoleTargets]
	for _, name := range []string{"tab\there", "new\nline"} {
		targets.Targets = map[string]tuf.FileMeta{name: tuf.NewFileMeta(nil)}
		if _, err := tuf.Sign(tuf.RoleTargets, targets, r.Signers[tuf.RoleTargets]...); err == nil {
			t.Errorf("signed target name %q", name)
		}
	}
	targets.Targets = map[string]tuf.FileMeta{"c": {Length: 1, Hashes: tuf.NewFileMeta(nil).Hashes, Custom: json.RawMessage(`{"s":"a\u0001b"}`)}}
	if _, err := tuf.Sign(tuf.RoleTargets, targets, r.Signers[tuf.RoleTargets]...); err == nil {
		t.Error("signed custom data with a control character")
	}
	targets.Targets = map[string]tuf.FileMeta{"c": {Length: 1, Hashes: tuf.NewFileMeta(nil).Hashes, Custom: json.RawMessage(`{"n":1.5}`)}}
	if _, err := tuf.Sign(tuf.RoleTargets, targets, r.Signers[tuf.RoleTargets]...); err == nil {
		t.Error("signed a fraction")
	}
	targets.Targets = map[string]tuf.FileMeta{}
	targets.Delegations.Roles = []tuf.DelegationRole{{Name: "targets/Bad", Threshold: 1}}
	if _, err := tuf.Sign(tuf.RoleTargets, targets, r.Signers[tuf.RoleTargets]...); err == nil {
		t.Error("signed an invalid delegation name")
	}
	if _, err := tuf.Sign("snapshot", targets); err == nil {
		t.Error("signed targets as the snapshot")
	}
}

func TestIsDelegation(t *testing.T) {
	for name, want := range map[string]bool{
		"targets/releases": true, "targets/a/b-c_d": true, "targets": false, "targets/": false,
		"targets/A": false, "targets/a/../b": false, "targets//a": false, "targets/a/": false,
		"root": false, "targets/" + strings.Repeat("x", 247): true, "targets/" + strings.Repeat("x", 248): false,
	} {
		if got := tuf.IsDelegation(name); got != want {
			t.Errorf("IsDelegation(%q) = %v", name, got)
		}
	}
}
