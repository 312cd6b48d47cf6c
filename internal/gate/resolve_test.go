package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/trust/repo/pulltest"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// TestResolveAndVerifyEqualDockerPull: on every generated lookup case, resolve prints
// exactly what docker pulls, and verify passes exactly the tags docker pulls, calling a
// tag a delegated role hides "shadowed".
func TestResolveAndVerifyEqualDockerPull(t *testing.T) {
	now := time.Now() // the oracle judges expiry at the current time
	const gun = "127.0.0.1:5000/oracle/app"
	text := "version: 1\ntrust: {on_unpinned: warn}\ndefault: {require: signed}\n"
	pol, err := policy.Parse("policy.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pulltest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			_, dir := c.New(t, gun, now)
			want := pulltest.Run(t, dir, gun, c.Tags)
			images := make([]string, len(c.Tags))
			for i, tag := range c.Tags {
				images[i] = gun + ":" + tag
			}
			opts := Options{TrustDir: dir, Now: now}
			got, err := Resolve(context.Background(), opts, images)
			if err != nil {
				t.Fatal(err)
			}
			for i, tag := range c.Tags {
				w := want[tag]
				if stricter, ok := c.Stricter[tag]; ok {
					checkStricter(t, opts, pol, images[i], got[i], w, stricter)
					continue
				}
				wantRef := ""
				if w.Accepted {
					wantRef = images[i] + "@" + w.Digest
				}
				if got[i].Reference != wantRef || w.Accepted && got[i].Role != w.Role {
					t.Errorf("resolve %s = %q (%s), docker pulls %q from %s (%s)", tag, got[i].Reference, got[i].Decision.Reason, wantRef, w.Role, w.Error)
				}
				opts.Policy = pol
				x, err := Explain(context.Background(), opts, images[i])
				if err != nil {
					t.Fatal(err)
				}
				d := x.Decision
				passed := d.Result == policy.Pass || d.Result == policy.Warn
				if passed != w.Accepted || passed && d.Digest != w.Digest {
					t.Errorf("verify %s: %s %s %q; docker accepted=%v %s", tag, d.Result, d.Digest, d.Reason, w.Accepted, w.Digest)
				}
				if shadowed := !w.Accepted && w.Role != ""; shadowed != (d.Code == policy.CodeShadowed) {
					t.Errorf("verify %s: code %s; docker: role %q accepted=%v", tag, d.Code, w.Role, w.Accepted)
				}
			}
		})
	}
}

// checkStricter: where trustctl deliberately refuses what docker pulls, resolve prints
// nothing and verify is a trust error for the reason given.
func checkStricter(t *testing.T, opts Options, pol *policy.Policy, image string, got pin.Resolved, w pulltest.Pull, reason error) {
	t.Helper()
	if !w.Accepted {
		t.Errorf("%s: docker refuses it too (%s): not a deviation", image, w.Error)
	}
	if got.Reference != "" {
		t.Errorf("resolve %s = %q, want a refusal (%v)", image, got.Reference, reason)
	}
	opts.Policy = pol
	x, err := Explain(context.Background(), opts, image)
	if err != nil {
		t.Fatal(err)
	}
	if d := x.Decision; d.Result != policy.TrustError || !strings.Contains(d.Reason, reasonText[reason]) {
		t.Errorf("verify %s: %s %q, want a trust error (%v)", image, d.Result, d.Reason, reason)
	}
}

var reasonText = map[error]string{tuf.ErrExpired: "expired", tuf.ErrNoTrustData: "not listed in the snapshot"}
