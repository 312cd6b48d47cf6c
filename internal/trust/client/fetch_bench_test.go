package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/tuf"
	"github.com/trustctl/trustctl/internal/trust/tuf/tuftest"
)

// BenchmarkFetch200 fetches 200 repositories (a delegation and 20 tags each, root
// rotated once) from the fake server into a fresh trust dir: the scale --timeout's
// default must never be near.
func BenchmarkFetch200(b *testing.B) {
	srv := tuftest.NewServer(b)
	var guns []string
	for i := range 200 {
		r := tuftest.New(b, fmt.Sprintf("registry.example.com/bench/app%03d", i), time.Now())
		r.Delegate(tuf.RoleTargets, "targets/releases", []string{""}, tuftest.NewKey(b))
		for j := range 20 {
			r.AddTarget("targets/releases", fmt.Sprintf("1.%d", j), []byte{byte(j)})
		}
		r.Publish(b)
		r.RotateRoot(b, tuftest.NewCertKey(b, r.GUN, r.Now.Add(-time.Hour), r.Now.AddDate(10, 0, 0)))
		r.UpdateSnapshot(b)
		srv.Serve(r)
		guns = append(guns, r.GUN)
	}
	for b.Loop() {
		dir := b.TempDir()
		repos := make([]*client.Repository, len(guns))
		for i, gun := range guns {
			repos[i] = fakeRepo(b, srv, dir, gun, client.Options{})
		}
		_, errs := client.FetchAll(context.Background(), repos, nil)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
