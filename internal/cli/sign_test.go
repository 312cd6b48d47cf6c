package cli

import (
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/client"
)

// TestSignTargets pins sign's arguments: a digest per IMAGE:TAG@DIGEST argument with a
// --size each, in order; one --digest never covers several tags.
func TestSignTargets(t *testing.T) {
	d1 := "sha256:" + strings.Repeat("1", 64)
	d2 := "sha256:" + strings.Repeat("2", 64)
	tests := []struct {
		name    string
		args    []string
		digest  string
		sizes   []int64
		want    map[string][]client.Target
		wantErr string
	}{
		{"registry lookups", []string{"example.com/app:1", "example.com/app:2"}, "", nil,
			map[string][]client.Target{"example.com/app": {{Name: "1"}, {Name: "2"}}}, ""},
		{"one --digest, one tag", []string{"example.com/app:1"}, d1, []int64{10},
			map[string][]client.Target{"example.com/app": {{Name: "1", Digest: d1, Size: 10}}}, ""},
		{"one --digest, several tags", []string{"example.com/app:1", "example.com/app:latest"}, d1, []int64{10},
			nil, "--digest names the manifest of one tag, not of 2"},
		{"a digest per argument, sizes in order", []string{"example.com/app:1@" + d1, "example.com/app:latest", "other.io/x:2@" + d2}, "", []int64{10, 20},
			map[string][]client.Target{"example.com/app": {{Name: "1", Digest: d1, Size: 10}, {Name: "latest"}}, "other.io/x": {{Name: "2", Digest: d2, Size: 20}}}, ""},
		{"a digest without its size", []string{"example.com/app:1@" + d1, "example.com/app:2@" + d2}, "", []int64{10},
			nil, "example.com/app:2@" + d2 + ": give its manifest size with --size"},
		{"a size without a digest", []string{"example.com/app:1"}, "", []int64{10},
			nil, "1 --size for 0 IMAGE:TAG@DIGEST arguments"},
		{"one tag, two manifests", []string{"example.com/app:1@" + d1, "example.com/app:1@" + d2}, "", []int64{10, 10},
			nil, "example.com/app:1 is given twice with different manifests"},
		{"a bad digest", []string{"example.com/app:1@sha256:abc"}, "", []int64{10}, nil, "digest sha256:abc: invalid checksum digest length"},
		{"no tag", []string{"example.com/app@" + d1}, "", []int64{10}, nil, "give IMAGE:TAG or IMAGE:TAG@sha256:…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guns, targets, err := signTargets(tt.args, tt.digest, tt.sizes)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(guns) != len(tt.want) {
				t.Fatalf("repositories %v, want %d", guns, len(tt.want))
			}
			for _, gun := range guns {
				got, want := targets[gun], tt.want[gun]
				if len(got) != len(want) {
					t.Fatalf("%s: %v, want %v", gun, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("%s[%d] = %+v, want %+v", gun, i, got[i], want[i])
					}
				}
			}
		})
	}
}
