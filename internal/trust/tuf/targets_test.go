package tuf

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// lazyEntries are "targets" members at the edges of the entry checks and of the name
// order, for the differential tests of LazyTargets.
var lazyEntries = []string{
	`{}`, `{"a":{}}`, `{"a":{"hashes":{},"length":0}}`, `{"a":{"length":-5}}`, `{"a":{"hashes":{"sha256":""}}}`,
	`{"a":{"hashes":{"sha256":"AA=="}}}`, `{"a":{"hashes":{"sha256":"AAA="}}}`, `{"a":{"hashes":{"sha256":"AAAA"}}}`,
	`{"a":{"hashes":{"sha256":"A==="}}}`, `{"a":{"hashes":{"sha256":"===="}}}`, `{"a":{"hashes":{"sha256":"AA=A"}}}`,
	`{"a":{"hashes":{"sha256":"AA="}}}`, `{"a":{"hashes":{"sha256":"AAAAA"}}}`, `{"a":{"hashes":{"sha256":"AB=="}}}`,
	`{"a":{"hashes":{"sha256":"AAAAAA=="}}}`, `{"a":{"hashes":{"sha256":"AAAAA==="}}}`, `{"a":{"hashes":{"sha256":"-_8="}}}`,
	`{"a":{"hashes":{"sha256":"AA\u003d="}}}`, `{"a":{"hashes":{"sha256":"AA\nAA=="}}}`, `{"a":{"hashes":{"sha256":"AA\"A"}}}`,
	`{"a":{"hashes":{"sha256":"AA\\A"}}}`, `{"a":{"hashes":{"sha256":"AA AA=="}}}`, `{"a":{"hashes":{"sha256":"AAAA\u00e9"}}}`,
	`{"a":{"hashes":{"sha256":null}}}`, `{"a":{"hashes":{"sha256":1}}}`, `{"a":{"hashes":null}}`, `{"a":{"hashes":[]}}`,
	`{"a":{"hashes":{"":"AA==","md5":"AAAA","sha512":"` + strings.Repeat("A", 400) + `"}}}`,
	`{"a":{"hashes":{"a\"lg":"AA==","\u00e9":"AA=="}}}`, `{"a":{"length":"1"}}`, `{"a":{"length":1e2}}`,
	`{"a":{"length":1.0}}`, `{"a":{"length":-0}}`, `{"a":{"length":999999999999999}}`, `{"a":{"length":1000000000000000}}`,
	`{"a":{"length":null}}`, `{"a":{"Length":1}}`, `{"a":{"lengthx":1}}`, `{"a":{"custom":{"x":1},"length":1}}`,
	`{"a":{"custom":null}}`, `{"a":null}`, `{"a":[]}`, `{"a":{"length":1,"length":2}}`, `{"a":{},"a":{}}`,
	`{"a\u0000":{}}`, `{"\u0001":{},"a":{}}`, `{"a\"b":{},"a":{},"a\\":{},"a\"":{},"b":{},"":{}}`,
	`{"\u00e9":{},"z":{},"\u00e8":{},"\u003cb\u003e":{},"\ud83d":{}}`, "{\"\xff\":{},\"a\":{}}",
	`{"1.0.10":{},"1.0.9":{},"1.0.1":{},"1.0":{},"1.0.1x":{},"qa-1":{},"qa-":{},"q":{}}`,
}

// verifyBoth verifies a file whose "signed" is raw, signed by key, with and without
// LazyTargets, as verifyFile does for a role.
func verifyBoth(t *testing.T, key *Signer, raw []byte) (eager, lazy *Targets, eagerErr, lazyErr error) {
	t.Helper()
	canonical, err := CanonicalJSON(raw)
	if err != nil {
		canonical = raw
	}
	sig, err := key.Sign(canonical)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _ := json.Marshal([]Signature{sig})
	data := slices.Concat([]byte(`{"signed":`), raw, []byte(`,"signatures":`), sigs, []byte(`}`))
	keys := keySet{Keys: map[string]PublicKey{key.PublicKey().ID(): key.PublicKey()}, Threshold: 1}
	eager, lazy = new(Targets), new(Targets)
	_, eagerErr = verifyFile(data, keys, eager, func() error { return nil }, false)
	_, lazyErr = verifyFile(data, keys, lazy, func() error { return nil }, true)
	return eager, lazy, eagerErr, lazyErr
}

// compareLazy checks that lazy, verified with LazyTargets, reads as eager: same errors,
// same members, same targets through Get, All and Len. It reports whether lazy was
// indexed.
func compareLazy(t *testing.T, raw []byte, eager, lazy *Targets, eagerErr, lazyErr error) bool {
	t.Helper()
	if (eagerErr == nil) != (lazyErr == nil) || eagerErr != nil && eagerErr.Error() != lazyErr.Error() {
		t.Fatalf("%q: eager error %v, lazy error %v", raw, eagerErr, lazyErr)
	}
	if eagerErr != nil {
		return false
	}
	if eager.index != nil || lazy.index != nil && lazy.Targets != nil {
		t.Fatalf("%q: eager index %v, lazy index %v and map %v", raw, eager.index != nil, lazy.index != nil, lazy.Targets != nil)
	}
	if !reflect.DeepEqual(eager.Common, lazy.Common) || !reflect.DeepEqual(eager.Delegations, lazy.Delegations) {
		t.Fatalf("%q: members differ:\neager %+v\nlazy  %+v", raw, eager, lazy)
	}
	names := slices.Sorted(maps.Keys(eager.Targets))
	for _, tg := range []*Targets{eager, lazy} {
		if tg.Len() != len(names) {
			t.Fatalf("%q: Len %d, want %d", raw, tg.Len(), len(names))
		}
		i := 0
		for name, m := range tg.All() {
			if i == len(names) || name != names[i] || !reflect.DeepEqual(m, eager.Targets[name]) {
				t.Fatalf("%q: All yields %q %+v at %d, want %q", raw, name, m, i, names)
			}
			i++
		}
		if i != len(names) {
			t.Fatalf("%q: All yields %d targets, want %d", raw, i, len(names))
		}
	}
	probes := []string{"", "\x00", "\xff\xff"}
	for _, name := range names {
		probes = append(probes, name, name+"\x00", name+"0", strings.ToUpper(name), name[:len(name)/2])
	}
	for _, name := range probes {
		want, wantOK := eager.Targets[name]
		if got, ok := lazy.Get(name); ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Get(%q) = %+v %v, want %+v %v", raw, name, got, ok, want, wantOK)
		}
	}
	return lazy.index != nil
}

func newTestSigner(tb testing.TB) *Signer {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewSigner(priv, PublicKey{Type: KeyTypeED25519, Public: pub})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzLazyTargets is the differential test of LazyTargets: a targets file verified with
// it fails exactly when it fails without, with the same error, and reads the same
// through Get, All and Len; the seeds include every targets file of the fixtures.
func FuzzLazyTargets(f *testing.F) {
	for _, raw := range fixtureJSON(f) {
		if env, err := ParseEnvelope(raw); err == nil && bytes.Contains(env.Signed, []byte(`"Targets"`)) {
			f.Add([]byte(env.Signed))
		}
	}
	for _, s := range hostileTargets {
		f.Add([]byte(s))
	}
	for _, s := range lazyEntries {
		f.Add([]byte(`{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":` + s + `,"version":1}`))
	}
	key := newTestSigner(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		eager, lazy, eagerErr, lazyErr := verifyBoth(t, key, raw)
		compareLazy(t, raw, eager, lazy, eagerErr, lazyErr)
		// The index is made exactly when the fast decoder would decode.
		if canonical, ok := appendCanonicalFast(nil, raw); ok {
			decoded, indexed := decodeTargetsCanonical(canonical, new(Targets), false), decodeTargetsCanonical(canonical, new(Targets), true)
			if decoded != indexed {
				t.Fatalf("%q: decoded %v, indexed %v", raw, decoded, indexed)
			}
		}
	})
}

// TestLazyTargets runs the seeds of FuzzLazyTargets and checks which files are indexed:
// every targets file of the fixtures without custom data, and the entries of the
// shapes the fast decoder takes.
func TestLazyTargets(t *testing.T) {
	key := newTestSigner(t)
	n := 0
	for _, raw := range fixtureJSON(t) {
		env, err := ParseEnvelope(raw)
		if err != nil || !bytes.Contains(env.Signed, []byte(`"_type":"Targets"`)) {
			continue
		}
		eager, lazy, eagerErr, lazyErr := verifyBoth(t, key, env.Signed)
		indexed := compareLazy(t, env.Signed, eager, lazy, eagerErr, lazyErr)
		if custom := bytes.Contains(env.Signed, []byte(`"custom"`)); indexed == custom {
			t.Errorf("indexed %v, custom data %v: %.100s", indexed, custom, env.Signed)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d targets files in the fixtures", n)
	}
	indexed := 0
	for _, s := range lazyEntries {
		raw := []byte(`{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":` + s + `,"version":1}`)
		eager, lazy, eagerErr, lazyErr := verifyBoth(t, key, raw)
		if compareLazy(t, raw, eager, lazy, eagerErr, lazyErr) {
			indexed++
		}
	}
	if indexed < 18 {
		t.Errorf("only %d of %d entry shapes indexed", indexed, len(lazyEntries))
	}
}

// TestBase64Check compares cdec.base64 with what the eager decoder does, str then
// base64.StdEncoding.Decode, on every canonical string of up to 6 bytes over the
// characters that matter.
func TestBase64Check(t *testing.T) {
	chars := []byte{'A', '/', '=', '\\', '"', '\n', '-', 0xc3}
	var s []byte
	var walk func()
	walk = func() {
		in := appendQuoted(nil, s) // a string as the canonical form writes it
		d := cdec{in: in}
		got := d.base64() && d.pos == len(in)
		d = cdec{in: in}
		b64, ok := d.str()
		want := ok && d.pos == len(in)
		if want {
			_, err := base64.StdEncoding.Decode(make([]byte, base64.StdEncoding.DecodedLen(len(b64))), b64)
			want = err == nil
		}
		if got != want {
			t.Fatalf("%q: checked %v, decoded %v", in, got, want)
		}
		if len(s) == 6 {
			return
		}
		for _, c := range chars {
			s = append(s, c)
			walk()
			s = s[:len(s)-1]
		}
	}
	walk()
}

// TestSignLazyTargets checks that targets read with LazyTargets cannot be signed again:
// their Targets map is empty, so the file would lose them all.
func TestSignLazyTargets(t *testing.T) {
	key := newTestSigner(t)
	_, lazy, _, err := verifyBoth(t, key, []byte(`{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"a":{"length":1}},"version":1}`))
	if err != nil || lazy.index == nil {
		t.Fatalf("not indexed: %v", err)
	}
	if _, err := Sign(RoleTargets, lazy, key); err == nil {
		t.Error("targets read with LazyTargets were signed")
	}
}
