package gate

import (
	"context"
	"errors"

	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// ErrNoRepositories is returned when neither the arguments nor the stack files name a
// repository.
var ErrNoRepositories = errors.New("give repositories or -f STACKFILE")

// MigrateOptions are the inputs of Migrate: migrate's, plus the stack files whose
// images' repositories are migrated too and the policy whose trust.pins pin the roots.
type MigrateOptions struct {
	migrate.Options
	Files  []string
	Policy *policy.Policy
}

// Migrate runs migrate.Run over the repositories given and those of the stack files'
// images, each root pinned by the policy when there is one.
func Migrate(ctx context.Context, o MigrateOptions) (migrate.Result, error) {
	if len(o.Files) > 0 {
		uses, err := stack.Load(ctx, o.Files, stack.Options{})
		if err != nil {
			return migrate.Result{}, err
		}
		o.Repositories = append(o.Repositories, stack.Repositories(uses)...)
	}
	if len(o.Repositories) == 0 {
		return migrate.Result{}, ErrNoRepositories
	}
	if pol := o.Policy; pol != nil {
		o.Pin = func(gun string) *tuf.Pin { return TrustPin(pol, gun) }
	}
	return migrate.Run(ctx, o.Options)
}
