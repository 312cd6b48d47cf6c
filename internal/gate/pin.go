package gate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// maxPolicyFile bounds the policy file policy pin reads and rewrites.
const maxPolicyFile = 1 << 20

// PinOptions are the inputs of policy pin.
type PinOptions struct {
	PolicyFile   string
	Files        []string // stack files whose repositories are pinned
	Stack        stack.Options
	Repositories []string // GUNs pinned besides the stack files'
	TrustDir     store.Dir
	Now          time.Time
}

// PinResult says what policy pin did.
type PinResult struct {
	Added []policy.NewPin
	// Covered maps the repositories a pin already covered to its label.
	Covered map[string]string
}

// Pin turns trust on first use into pins: it adds to trust.pins of the policy file an
// entry for every repository that no pin covers yet, holding the certificate IDs of the
// root the trust dir trusts now. A repository without verified trust data in the trust
// dir stops it before anything is written. The file is edited in place (comments and
// layout kept) and written in one step.
func Pin(ctx context.Context, opts PinOptions) (PinResult, error) {
	res := PinResult{Covered: map[string]string{}}
	path, err := filepath.EvalSymlinks(opts.PolicyFile)
	if err != nil {
		return res, &policy.Error{File: opts.PolicyFile, Err: err}
	}
	data, err := store.ReadFileLimit(path, maxPolicyFile)
	if err != nil {
		return res, &policy.Error{File: opts.PolicyFile, Err: err}
	}
	pol, err := policy.Parse(opts.PolicyFile, data)
	if err != nil {
		return res, err
	}
	guns := slices.Clone(opts.Repositories)
	if len(opts.Files) > 0 {
		uses, err := stack.Load(ctx, opts.Files, opts.Stack)
		if err != nil {
			return res, err
		}
		guns = append(guns, stack.Repositories(uses)...)
	}
	slices.Sort(guns)
	guns = slices.Compact(guns)
	for _, gun := range guns {
		if pin, ok := pol.PinFor(gun); ok {
			res.Covered[gun] = pin.Label
			continue
		}
		r, err := repo.Open(opts.TrustDir, gun, repo.Options{Now: opts.Now, AllowExpired: true})
		if err != nil {
			return PinResult{}, fmt.Errorf("%s has no verified trust data in the trust dir to pin (run `trustctl fetch %s` first): %w", gun, gun, err)
		}
		ids := slices.Clone(r.Metadata().Root.Roles[tuf.RoleRoot].KeyIDs)
		slices.Sort(ids)
		res.Added = append(res.Added, policy.NewPin{Repository: gun, RootKeys: ids})
	}
	if len(res.Added) == 0 {
		return res, nil
	}
	edited, err := policy.AddPins(data, res.Added)
	if err != nil {
		return PinResult{}, &policy.Error{File: opts.PolicyFile, Err: fmt.Errorf("cannot add trust.pins: %w", err)}
	}
	if _, err := policy.Parse(opts.PolicyFile, edited); err != nil {
		return PinResult{}, fmt.Errorf("the edited policy does not parse, nothing written: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return PinResult{}, err
	}
	if err := store.WriteFileAtomic(path, edited); err != nil {
		return PinResult{}, fmt.Errorf("write %s: %w", opts.PolicyFile, err)
	}
	// The policy keeps its mode: it is usually committed and world-readable.
	if err := os.Chmod(path, info.Mode().Perm()); err != nil {
		return PinResult{}, fmt.Errorf("write %s: %w", opts.PolicyFile, err)
	}
	return res, nil
}
