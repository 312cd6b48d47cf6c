package gate

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/client"
)

// TestFetchOpensEachRepositoryOnce checks that fetch works once per repository: the
// references are sorted and deduplicated before any repository is opened, and an
// error opening one stops the fetch as it is.
func TestFetchOpensEachRepositoryOnce(t *testing.T) {
	errOpen := errors.New("no server")
	tests := []struct {
		name   string
		refs   []ImageRef
		failOn string
		want   []string
		err    error
	}{
		{name: "none", err: ErrNoRepositories},
		{name: "sorted and once", refs: []ImageRef{{GUN: "r/b", Tag: "1"}, {GUN: "r/a"}, {GUN: "r/b", Digest: "sha256:00"}},
			failOn: "r/b", want: []string{"r/a", "r/b"}, err: errOpen},
		{name: "first error stops", refs: []ImageRef{{GUN: "r/b"}, {GUN: "r/a"}}, failOn: "r/a", want: []string{"r/a"}, err: errOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opened []string
			err := Fetch(context.Background(), FetchOptions{Refs: tt.refs, Timeout: 1,
				Repo: func(gun string, _ client.Options) (*client.Repository, error) {
					opened = append(opened, gun)
					if gun == tt.failOn {
						return nil, errOpen
					}
					return nil, nil
				}})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch: %v, want %v", err, tt.err)
			}
			if !slices.Equal(opened, tt.want) {
				t.Errorf("opened %q, want %q", opened, tt.want)
			}
		})
	}
}

func TestOtherSources(t *testing.T) {
	tests := []struct {
		cosign, evidence bool
		want             string
	}{
		{true, true, "cosign signatures and evidence"},
		{true, false, "cosign signatures"},
		{false, true, "evidence"},
	}
	for _, tt := range tests {
		if got := otherSources(tt.cosign, tt.evidence); got != tt.want {
			t.Errorf("otherSources(%v, %v) = %q, want %q", tt.cosign, tt.evidence, got, tt.want)
		}
	}
}
