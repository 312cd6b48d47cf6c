package repo_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/repo/pulltest"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// TestLookupEqualsDockerPull compares Lookup with docker's lookup, run by notary's own
// client on the same files, tag by tag.
func TestLookupEqualsDockerPull(t *testing.T) {
	now := time.Now() // the oracle judges expiry at the current time
	for _, c := range pulltest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			r, dir := c.New(t, "127.0.0.1:5000/oracle/app", now)
			want := pulltest.Run(t, dir, r.GUN, c.Tags)
			rp, err := repo.Open(dir, r.GUN, repo.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range c.Tags {
				w := want[tag]
				got, err := rp.Lookup(tag)
				var shadowed *repo.ShadowedError
				switch stricter, ok := c.Stricter[tag]; {
				case ok && stricter == tuf.ErrNoTrustData:
					if !w.Accepted || !errors.Is(err, stricter) {
						t.Errorf("%s: Lookup = %+v, %v; want %v where docker pulls (accepted=%v)", tag, got, err, stricter, w.Accepted)
					}
				case w.Accepted:
					if err != nil || got.Digest != w.Digest || got.Role != w.Role {
						t.Errorf("%s: Lookup = %+v, %v; docker pulls %s from %s", tag, got, err, w.Digest, w.Role)
					}
				case w.Role != "":
					if !errors.As(err, &shadowed) || shadowed.Role != w.Role || shadowed.Digest != w.Digest {
						t.Errorf("%s: Lookup = %+v, %v; docker refuses it: %s holds it first", tag, got, err, w.Role)
					}
				default:
					if err == nil || errors.As(err, &shadowed) {
						t.Errorf("%s: Lookup = %+v, %v; docker: %s", tag, got, err, w.Error)
					}
				}
			}
		})
	}
}
