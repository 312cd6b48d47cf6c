package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestAddPins(t *testing.T) {
	id := strings.Repeat("a", 64)
	pins := []NewPin{{Repository: "registry.example.com/app", RootKeys: []string{id}}}
	tests := []struct{ name, in, want string }{
		{"block list, comments and other keys kept",
			"version: 1\n# trust settings\ntrust:\n  # pinned roots\n  pins:\n    - match: r.io/x   # x\n      root_keys: [" + strings.Repeat("b", 64) + "]\n\n  on_unpinned: warn\n\n# rules follow\nrules: []\n",
			"version: 1\n# trust settings\ntrust:\n  # pinned roots\n  pins:\n    - match: r.io/x   # x\n      root_keys: [" + strings.Repeat("b", 64) + "]\n    - match: registry.example.com/app\n      root_keys: [" + id + "]\n\n  on_unpinned: warn\n\n# rules follow\nrules: []\n"},
		{"no trust section",
			"version: 1\ndefault: {require: signed} # everything\n",
			"version: 1\ndefault: {require: signed} # everything\ntrust:\n  pins:\n    - match: registry.example.com/app\n      root_keys: [" + id + "]\n"},
		{"trust without pins",
			"version: 1\ntrust:\n    on_unpinned: deny\nrules: []\n",
			"version: 1\ntrust:\n    on_unpinned: deny\n    pins:\n      - match: registry.example.com/app\n        root_keys: [" + id + "]\nrules: []\n"},
		{"flow trust",
			"version: 1\ntrust: {on_unpinned: warn}  # comment\n",
			"version: 1\ntrust: {on_unpinned: warn, pins: [{match: registry.example.com/app, root_keys: [" + id + "]}]}  # comment\n"},
		{"flow empty pins",
			"version: 1\ntrust:\n  pins: []\n  expired: warn\n",
			"version: 1\ntrust:\n  pins: [{match: registry.example.com/app, root_keys: [" + id + "]}]\n  expired: warn\n"},
		{"null pins",
			"version: 1\ntrust:\n  pins:\n  expired: warn\n",
			"version: 1\ntrust:\n  pins:\n    - match: registry.example.com/app\n      root_keys: [" + id + "]\n  expired: warn\n"},
		{"dash at the key's column",
			"version: 1\ntrust:\n  pins:\n  - match: r.io/x\n    root_keys: [" + id + "]\nrules: []\n",
			"version: 1\ntrust:\n  pins:\n  - match: r.io/x\n    root_keys: [" + id + "]\n  - match: registry.example.com/app\n    root_keys: [" + id + "]\nrules: []\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddPins([]byte(tt.in), pins)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			p, err := Parse("policy.yml", got)
			if err != nil {
				t.Fatal(err)
			}
			if pin, ok := p.PinFor("registry.example.com/app"); !ok || pin.RootKeys[0] != id {
				t.Fatalf("the new pin does not cover the repository: %+v", pin)
			}
		})
	}
}

// FuzzAddPins: for any policy that parses, adding a pin either fails with an error or
// yields a policy that parses and pins the repository; it never panics.
func FuzzAddPins(f *testing.F) {
	f.Add([]byte(mainPolicy))
	f.Add([]byte("version: 1\ntrust: {on_unpinned: warn}\n"))
	f.Add([]byte("version: 1\ntrust:\n  pins: [{match: r.io/x, root_keys: [" + strings.Repeat("b", 64) + "]}]\n"))
	f.Add([]byte("version: 1\ntrust:\n  pins:\n  - match: r.io/x\n    ca: x.pem\n  expired: warn\n"))
	id := strings.Repeat("c", 64)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Parse("policy.yml", data); err != nil {
			return
		}
		out, err := AddPins(data, []NewPin{{Repository: "fuzz.example.com/app", RootKeys: []string{id}}})
		if err != nil {
			return
		}
		p, err := Parse("policy.yml", out)
		if err != nil {
			t.Fatalf("the edited policy does not parse: %v\n%s", err, out)
		}
		if pin, ok := p.PinFor("fuzz.example.com/app"); !ok || !slices.Contains(pin.RootKeys, id) {
			// A broader pin may win only if the policy already had one.
			if orig, _ := Parse("policy.yml", data); orig != nil {
				if _, had := orig.PinFor("fuzz.example.com/app"); had {
					return
				}
			}
			t.Fatalf("the edited policy does not pin the repository:\n%s", out)
		}
	})
}
