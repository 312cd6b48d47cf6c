package cosign

import (
	"errors"
	"testing"
)

func TestCheckReference(t *testing.T) {
	for _, tc := range []struct {
		signed, want string
		err          error // nil: binds
	}{
		{"registry.example/team/app:1.4", "registry.example/team/app:1.4", nil},
		{"index.docker.io/library/nginx:1.27", "nginx:1.27", nil}, // cosign's spelling of Docker Hub
		{"docker.io/library/nginx:1.27", "nginx:1.27", nil},
		{"registry.example/team/app:1.4", "registry.example/team/app:1.5", ErrReferenceMismatch},
		{"registry.example/team/other:1.4", "registry.example/team/app:1.4", ErrReferenceMismatch},
		{"registry.example/team/app", "registry.example/team/app:1.4", ErrNoTagInReference},
		{"index.docker.io/library/nginx", "nginx:1.27", ErrNoTagInReference},
		{"registry.example/team/app@" + fixtureDigest, "registry.example/team/app:1.4", ErrReferenceMismatch},
		{"", "registry.example/team/app:1.4", ErrReferenceMismatch},
		{"Not A Reference", "registry.example/team/app:1.4", ErrReferenceMismatch},
	} {
		t.Run(tc.signed+"→"+tc.want, func(t *testing.T) {
			err := Payload{DockerReference: tc.signed, Digest: fixtureDigest}.CheckReference(tc.want)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("CheckReference: %v, want %v", err, tc.err)
			}
		})
	}
	// The reference asked for must carry a tag: a caller error, not a mismatch.
	err := Payload{DockerReference: "registry.example/team/app:1.4"}.CheckReference("registry.example/team/app")
	if err == nil || errors.Is(err, ErrReferenceMismatch) {
		t.Errorf("untagged wanted reference: %v", err)
	}
}
