// Package client is the online side of a Notary v1 repository: it downloads and
// verifies trust data into the trust dir (notary's update sequence), and it changes a
// repository — initialisation, targets, delegations, key rotations — by signing the
// changed files with the keys of the trust dir and publishing them to notary-server in
// one request.
//
//	r := client.New(dir, gun, keyStore, remoteClient, client.Options{})
//	r.Fetch(ctx)                                  // verified cache for offline reads
//	r.Init(ctx, client.InitOptions{})             // root, targets; server-managed snapshot
//	r.Sign(ctx, []client.Target{…}, nil)          // into the delegations the user holds keys for
//	r.AddDelegation(ctx, "targets/qa", keys, nil, true)
//	r.RotateKey(ctx, tuf.RoleSnapshot, true)
//
// Every method holds the trust dir's lock; the cache is written only after everything
// downloaded has verified, and in one step.
package client

import (
	"context"
	"log/slog"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Expiry of what is signed, notary's defaults (SPEC 3.10).
const (
	year            = 365 * 24 * time.Hour
	rootExpiry      = 10 * year
	targetsExpiry   = 3 * year
	snapshotExpiry  = 3 * year
	rootRenewWithin = 182 * 24 * time.Hour
)

// ErrNotInitialized: the server has no trust data for the repository.
var ErrNotInitialized = exitcode.New(exitcode.ErrTrustData, "repository not initialised")

// Remote is the part of server.Client the repository uses.
type Remote interface {
	GetCurrent(ctx context.Context, role string, maxSize int64) ([]byte, error)
	GetByChecksum(ctx context.Context, role, sha256hex string, size int64) ([]byte, error)
	GetByVersion(ctx context.Context, role string, version int, maxSize int64) ([]byte, error)
	GetKey(ctx context.Context, role string) (tuf.PublicKey, error)
	RotateKey(ctx context.Context, role string) (tuf.PublicKey, error)
	Publish(ctx context.Context, files map[string][]byte) error
}

var _ Remote = (*server.Client)(nil)

// Options tune a Repository.
type Options struct {
	// Now is the time expiry is judged at and signatures are dated from; zero means
	// the clock.
	Now time.Time
	// Pin restricts the root keys accepted on first contact.
	Pin *tuf.Pin
	// Logger receives warnings (refused delegations); nil discards.
	Logger *slog.Logger
}

// Repository is one GUN's trust data: the cache in a trust dir and the server.
type Repository struct {
	gun    string
	dir    store.Dir
	keys   *keys.Store
	remote Remote
	opts   Options
	log    *slog.Logger
}

// New returns the repository gun of the trust dir, talking to remote.
func New(dir store.Dir, gun string, ks *keys.Store, remote Remote, opts Options) *Repository {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Repository{gun: gun, dir: dir, keys: ks, remote: remote, opts: opts, log: log}
}

// GUN is the repository's name.
func (r *Repository) GUN() string { return r.gun }

func (r *Repository) now() time.Time {
	if r.opts.Now.IsZero() {
		return time.Now()
	}
	return r.opts.Now
}

// locked runs f under the trust dir's lock.
func (r *Repository) locked(f func() error) error {
	unlock, err := r.dir.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}
