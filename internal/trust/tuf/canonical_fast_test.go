package tuf

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/trustctl/trustctl/internal/testenv"
)

// hostileJSON are inputs at the edges of the fast path: escapes, surrogates, invalid
// UTF-8, control characters, nesting, duplicate names and numbers.
var hostileJSON = []string{
	`{}`, `[]`, `""`, `0`, `-1`, `true`, `false`, `null`, ` {"a" : [ 1 , 2 ] } `, "\t{\r\n}\n",
	`{"b":1,"a":2}`, `{"z":{"y":1,"x":[{"d":4,"c":3}]},"a":null}`, `{"a":1,"b":2,"a":3}`,
	`{"a":1,"\u0061":2}`, `{"\u00e9":1,"é":2}`, "{\"\xff\":1,\"\xfe\":2}", `{"a":1,"b":{"a":1,"a":2}}`,
	`{"\"":1,"\\":2,"#":3,"!":4}`, `{"a\"b":"c\\d"}`,
	`"\" \\ \/ \b \f \n \r \t"`, `"\u0000\u001f\u007f\u0080\u00e9\u2028\u2029\uffff"`,
	`"\u003c\u003e\u0026 <>&"`, `"\u0022\u005c"`, `"\u005C\u005c\u002F"`, "\"\x7f\"",
	`"\ud83d\ude00"`, `"\uD83D\uDE00"`, `"\ud83d"`, `"\ude00"`, `"\ude00\ud83d"`, `"\ud83d\ud83d\ude00"`,
	`"\ud83d\u0041"`, `"\ud83d\"`, `"\ud83dx"`, `"\ud83d\ude0"`, `"\ud83d\uZZZZ"`, `"\u12"`, `"\x"`, `"\'"`, `"\`,
	"\"\xff\"", "\"\xc3\"", "\"\xc3(\"", "\"\xe2\x82\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xef\xbf\xbd\"",
	"\"\xf0\x9f\x98\x80\"", "\"\x00\"", "\"a\nb\"", "\"\t\"", `"\u0000"`,
	strings.Repeat("[", 63) + strings.Repeat("]", 63), strings.Repeat("[", 64) + strings.Repeat("]", 64),
	strings.Repeat("[", 65) + strings.Repeat("]", 65), strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`1e2`, `-0`, `01`, `1.0`, `9223372036854775808`, `9223372036854775807`, `-9223372036854775808`,
	`999999999999999`, `-999999999999999`, `1000000000000000`, `9007199254740993`, `{"a":-0}`, `{"a":"-0","n":1}`,
	`-`, `+1`, `1.`, `.5`, `1E2`, `1e-2`, `0x10`, `00`, `-01`, `[1,2,]`, `{"a":1,}`, `{,}`, `[,1]`, `{"a"}`, `{"a":}`,
	`{1:2}`, `{'a':1}`, `tru`, `truex`, `nul`, `[true false]`, `{"a":1}{"b":2}`, `{"a":1} x`, `{"a":1}]`, ``, ` `,
	`"unterminated`, `{"a":1`, `[1`, "\"\u2028\u2029\"", `{"a":[]}`, `{"":0,"a":{}}`, "\xef\xbb\xbf{}",
}

func TestCanonicalFastTable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{` { "a" : [ 1 , -2 , true , false , null , "x" ] } `, `{"a":[1,-2,true,false,null,"x"]}`},
		{`"\u003cb\u003e\u0026\u2028\u2029"`, "\"<b>&\u2028\u2029\""},
		{`"\" \\ \/ \b\f\n\r\t \u0000"`, "\"\\\" \\\\ / \b\f\n\r\t \x00\""},
		{`"\u0022\u005c"`, `"\"\\"`},
		{`"\ud83d\ude00 \ud83d \ude00\ud83d\u0041"`, "\"\U0001F600 \uFFFD \uFFFD\uFFFDA\""},
		{"\"\xff\xe2\x82 \xed\xa0\x80 é\"", "\"\uFFFD\uFFFD\uFFFD \uFFFD\uFFFD\uFFFD é\""},
		{`{"a\"":1,"a":2,"a\\":3}`, `{"a":2,"a\"":1,"a\\":3}`},
		{`{"é":1,"z":2,"\u00e8":3}`, `{"z":2,"è":3,"é":1}`},
		{`{"z":{"y":[{"b":0,"a":999999999999999}]},"a":{}}`, `{"a":{},"z":{"y":[{"a":999999999999999,"b":0}]}}`},
	} {
		got, ok := appendCanonicalFast([]byte("prefix "), []byte(tc.in))
		if !ok || string(got) != "prefix "+tc.want {
			t.Errorf("%s: %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
	// The fast path gives up on these; the slow path decides.
	for _, in := range []string{
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, "{\"\xff\":1,\"\xfe\":2}", `-0`, `01`, `1e2`, `1.0`,
		`1000000000000000`, `9223372036854775808`, strings.Repeat("[", 65) + strings.Repeat("]", 65),
		`{"a":1}{"b":2}`, `"a` + "\n" + `b"`, `"\x"`, `"\ud83d\uZZZZ"`, ``, `[1,]`,
	} {
		if got, ok := appendCanonicalFast([]byte("prefix"), []byte(in)); ok || string(got) != "prefix" {
			t.Errorf("%q: fast path gave %q %v", in, got, ok)
		}
	}
}

// TestCanonicalFastFixtures checks that every file notary wrote takes the fast paths and
// gives the slow path's canonical bytes.
func TestCanonicalFastFixtures(t *testing.T) {
	n := 0
	for _, raw := range fixtureJSON(t) {
		env, err := ParseEnvelope(raw)
		if err != nil {
			continue
		}
		n++
		fast, ok := appendCanonicalFast(nil, env.Signed)
		slow, err := canonicalSlow(env.Signed)
		if !ok || err != nil || !bytes.Equal(fast, slow) {
			t.Errorf("%.80s: fast %v, slow %v, equal %v", env.Signed, ok, err, bytes.Equal(fast, slow))
		}
		if _, canonical, ok := parseEnvelopeFast(nil, raw); !ok || !bytes.Equal(canonical, slow) {
			t.Errorf("%.80s: one-pass parse %v, equal %v", raw, ok, bytes.Equal(canonical, slow))
		}
	}
	if n < 100 {
		t.Fatalf("only %d metadata files in the fixtures", n)
	}
}

// fixtureJSON returns every JSON file of the fixtures: metadata files (server dumps and
// trust dirs, experiments/oddchars included) and the custom data of the experiments.
func fixtureJSON(tb testing.TB) [][]byte {
	tb.Helper()
	var files [][]byte
	err := filepath.WalkDir(testenv.Fixtures(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		data, err := os.ReadFile(path)
		files = append(files, data)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// FuzzCanonicalFast is the differential test of the fast path: whatever it accepts, the
// slow path must accept with the same bytes, and so must cjson on its own (the fast
// path's integers are exact in a float64, so notary's number handling agrees too).
func FuzzCanonicalFast(f *testing.F) {
	for _, raw := range fixtureJSON(f) {
		f.Add(raw)
		if env, err := ParseEnvelope(raw); err == nil {
			f.Add([]byte(env.Signed))
		}
	}
	for _, s := range hostileJSON {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := appendCanonicalFast(nil, raw)
		if !ok {
			return
		}
		slow, err := canonicalSlow(raw)
		if err != nil {
			t.Fatalf("fast path accepts what the slow path refuses (%v): %q", err, raw)
		}
		if !bytes.Equal(fast, slow) {
			t.Fatalf("%q:\nfast %q\nslow %q", raw, fast, slow)
		}
		ref, err := cjson.EncodeCanonical(json.RawMessage(raw))
		if err != nil || !bytes.Equal(fast, ref) {
			t.Fatalf("%q:\nfast %q\ncjson %q (%v)", raw, fast, ref, err)
		}
	})
}

// hostileTargets are "signed" objects of targets files at the edges of the decoder.
var hostileTargets = []string{
	`{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{},"version":1}`,
	`{"version":2,"targets":{"a":{"length":1,"hashes":{"sha256":"AAAA"}}},"_type":"Targets"}`,
	`{"targets":{"\u003cb\u003e":{"hashes":{"sha256":"AA==","sha512":"","md5":"AAAA"},"length":-1}}}`,
	`{"targets":{"a":{"hashes":{},"length":0},"b":{},"c\"\\":{"length":999999999999999}}}`,
	`{"targets":{"a":{"custom":{"x":1},"hashes":{"sha256":"AA=="},"length":1}}}`,
	`{"targets":{"a":{"custom":null,"length":1}}}`, `{"targets":{"a":{"Length":1}}}`, `{"Targets":{}}`,
	`{"targets":{},"TARGETS":{"a":{}}}`, `{"targets":null}`, `{"targets":{"a":null}}`, `{"targets":{"a":{"hashes":null}}}`,
	`{"targets":{"a":{"hashes":{"sha256":null}}}}`, `{"targets":{"a":{"hashes":{"sha256":"A"}}}}`,
	`{"targets":{"a":{"hashes":{"sha256":"AA\nAA=="}}}}`, `{"targets":{"a":{"hashes":{"sha256":"AA\u003d="}}}}`,
	`{"targets":{"a":{"hashes":{"sha256":"AA"}}}}`, `{"targets":{"a":{"hashes":{"sha256":"-_8="}}}}`,
	`{"targets":{"a":{"length":"1"}}}`, `{"targets":{"a":{"length":1e2}}}`, `{"targets":{"a":{"length":true}}}`,
	`{"targets":{"a\u0000":{}}}`, `{"targets":{"\ud83d":{}},"x":1}`, `{"targets":[]}`, `{"targets":"x"}`,
	`{"version":"1"}`, `{"version":1.0}`, `{"version":-1}`, `{"expires":"never"}`, `{"expires":null}`, `{"_type":5}`,
	`{"delegations":{"keys":{"k":{"keytype":"ed25519","keyval":{"public":"AA==","private":null}}},"roles":[{"keyids":["k"],"name":"targets/a","paths":[""],"threshold":1}]}}`,
	`{"delegations":{"roles":[{"name":"a\n"}]}}`, `[]`, `"targets"`, `{"a":1}`,
}

// FuzzDecodeTargetsCanonical is the differential test of the targets decoder: whatever
// it decodes from the fast path's canonical bytes, encoding/json decodes from the raw
// bytes without error and to the same value.
func FuzzDecodeTargetsCanonical(f *testing.F) {
	for _, raw := range fixtureJSON(f) {
		if env, err := ParseEnvelope(raw); err == nil {
			f.Add([]byte(env.Signed))
		}
	}
	for _, s := range hostileTargets {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		canonical, ok := appendCanonicalFast(nil, raw)
		if !ok {
			return
		}
		var got Targets
		if !decodeTargetsCanonical(canonical, &got, false) {
			if !reflect.ValueOf(got).IsZero() {
				t.Fatalf("%q: failed decoding changed the value: %+v", raw, got)
			}
			return
		}
		var want Targets
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%q: decoded what encoding/json refuses: %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\ngot  %+v\nwant %+v", raw, got, want)
		}
	})
}

// TestDecodeTargetsCanonical checks which files the decoder takes on: every targets
// file notary wrote without custom data, none of the shapes left to encoding/json.
func TestDecodeTargetsCanonical(t *testing.T) {
	n := 0
	for _, raw := range fixtureJSON(t) {
		env, err := ParseEnvelope(raw)
		if err != nil || !bytes.Contains(env.Signed, []byte(`"_type":"Targets"`)) || bytes.Contains(env.Signed, []byte(`"custom"`)) {
			continue
		}
		n++
		canonical, _ := appendCanonicalFast(nil, env.Signed)
		if !decodeTargetsCanonical(canonical, new(Targets), false) {
			t.Errorf("not decoded: %.100s", env.Signed)
		}
	}
	if n < 20 {
		t.Fatalf("only %d targets files in the fixtures", n)
	}
	for _, in := range []string{
		`{"targets":{"a":{"custom":{"x":1},"length":1}}}`, `{"targets":{"a":{"Length":1}}}`, `{"Targets":{}}`,
		`{"targets":null}`, `{"targets":{"a":{"hashes":{"sha256":null}}}}`, `{"targets":{"a":{"hashes":{"sha256":"A"}}}}`,
		`{"targets":{"a":{"hashes":{"sha256":"AA\nAA=="}}}}`, `{"targets":{"a\u0000":{}}}`, `{"version":"1"}`, `{"x":1}`,
	} {
		canonical, ok := appendCanonicalFast(nil, []byte(in))
		if !ok {
			t.Fatalf("%s: not canonicalised", in)
		}
		if decodeTargetsCanonical(canonical, new(Targets), false) {
			t.Errorf("%s: decoded", in)
		}
	}
}

// FuzzParseEnvelopeFast is the differential test of the one-pass envelope parser: what
// it accepts, ParseEnvelope accepts with the same result, and its canonical form is the
// fast path's.
func FuzzParseEnvelopeFast(f *testing.F) {
	for _, raw := range fixtureJSON(f) {
		f.Add(raw)
	}
	for _, s := range []string{
		`{"signed":{},"signatures":[]}`, `{"signed":{},"signatures":null}`, `{"signed":{"a":1},"signatures":[] }`,
		`{"signed":{},"signatures":[],"signed":{"b":2}}`, `{"signed":{},"signatures":[]}}`, `{"signed":{} ,"signatures":[]}`,
		`{"signed":{},"signatures":[{"keyid":"k","method":"ed25519","sig":"AA=="}]}`, `{"signed":[],"signatures":[]}`,
		`{"signed":{},"signatures":[{"sig":"!"}]}`, `{"signed":{},"signatures":[{"Sig":"AA==","KEYID":"x"}]}`,
		`{"signed":{},"signatures":{}}`, `{"signed":{"a":1,"a":2},"signatures":[]}`, `{"signed":{},"signatures":`,
		`{"signed":{},"signatures":}`, `{"signed":{}}`, "{\"signed\":{},\"signatures\":[]}\n \t\r", `{"signed":{},"signatures":[]}x`, "{\"signed\":{\"\xff\":\"\\u003c\"},\"signatures\":[]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, canonical, ok := parseEnvelopeFast(nil, data)
		if !ok {
			return
		}
		want, err := ParseEnvelope(data)
		if err != nil {
			t.Fatalf("%q: parsed what ParseEnvelope refuses: %v", data, err)
		}
		if !reflect.DeepEqual(env, want) {
			t.Fatalf("%q:\ngot  %+v\nwant %+v", data, env, want)
		}
		if fast, ok := appendCanonicalFast(nil, want.Signed); !ok || !bytes.Equal(fast, canonical) {
			t.Fatalf("%q: canonical %q, fast path %q %v", data, canonical, fast, ok)
		}
	})
}
