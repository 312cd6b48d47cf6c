package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// viewRepo is gun's trust data as inspect, list and delegate list show it: fetched
// first when a notary server is known (--server, DOCKER_CONTENT_TRUST_SERVER or the
// config), as docker trust inspect and notary list do, so that a view is never stale
// without a word; else, and with --offline, the trust dir's copy, with how old it is.
// A server guessed from the image name is not asked: a view must not reach out to a
// host nobody named.
func (a *app) viewRepo(ctx context.Context, gun string, opts repo.Options, offline bool) (*repo.Repo, error) {
	server := a.server()
	switch {
	case server != "" && !offline:
		r, err := a.onlineRepo(gun, client.Options{Now: opts.Now, Pin: opts.Pin})
		if err != nil {
			return nil, err
		}
		if _, err := r.Fetch(ctx); err != nil {
			return nil, fmt.Errorf("fetch %s from %s: %w (--offline reads the trust dir's copy)", gun, server, err)
		}
	case offline:
		a.warnAge(gun, "--offline")
	default:
		a.warnAge(gun, "no notary server named with --server, DOCKER_CONTENT_TRUST_SERVER or the config")
	}
	return a.openRepo(gun, opts)
}

// warnAge says, in one line, how old the trust dir's copy of gun is and why it was
// not refreshed.
func (a *app) warnAge(gun, why string) {
	at, err := fetchedAt(store.Dir{Root: a.trustDir()}, gun)
	if err != nil {
		return // nothing cached: openRepo says so
	}
	age := time.Since(at).Round(time.Minute)
	ago := "less than a minute ago"
	if age >= time.Minute {
		ago = strings.TrimSuffix(age.String(), "0s") + " ago" // 3h12m0s → 3h12m
	}
	a.log.Warn(fmt.Sprintf("trust data of %s from the trust dir, written %s (%s), not refreshed: %s",
		gun, ago, at.UTC().Format(time.RFC3339), why))
}

// fetchedAt is when the trust dir's copy of gun was written: its timestamp.json, which
// every fetch and publish rewrites.
func fetchedAt(dir store.Dir, gun string) (time.Time, error) {
	mdir, err := dir.MetadataDir(gun)
	if err != nil {
		return time.Time{}, err
	}
	st, err := os.Stat(filepath.Join(mdir, tuf.RoleTimestamp+".json"))
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}

// noTrustData words the error of a repository the trust dir has nothing of (no
// root.json) as what to do, rather than as the file that is missing.
func (a *app) noTrustData(gun string, err error) error {
	var ve *tuf.VerifyError
	if !errors.As(err, &ve) || ve.Role != tuf.RoleRoot || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("no trust data for %s in %s: run trustctl fetch %s", gun, a.trustDir(), gun))
}
