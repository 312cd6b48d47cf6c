package registry

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	got := ParseChallenges([]string{
		`Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:push,pull"`,
		`Basic realm="x \"quoted\"", Negotiate, Bearer realm=https://t/`,
	})
	want := []Challenge{
		{"bearer", map[string]string{"realm": "https://auth.example.com/token", "service": "registry.example.com", "scope": "repository:a/b:push,pull"}},
		{"basic", map[string]string{"realm": `x "quoted"`}},
		{"negotiate", map[string]string{}},
		{"bearer", map[string]string{"realm": "https://t/"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if c := PickChallenge(got[1:]); c.Scheme != "bearer" || c.Params["realm"] != "https://t/" {
		t.Errorf("PickChallenge prefers bearer: %#v", c)
	}
	if c := PickChallenge(ParseChallenges([]string{"Negotiate", "NTLM"})); c != nil {
		t.Errorf("unsupported schemes picked: %#v", c)
	}
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Bearer realm="https://a/token",service="s",scope="repository:x:pull"`)
	f.Add(`Basic realm="a\"b", Bearer realm=x`)
	f.Add(`,,=="\`)
	f.Fuzz(func(t *testing.T, h string) {
		for _, c := range ParseChallenges([]string{h}) {
			if c.Scheme == "" || c.Scheme != strings.ToLower(c.Scheme) {
				t.Fatalf("scheme %q from %q", c.Scheme, h)
			}
		}
	})
}
