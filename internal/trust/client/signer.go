package client

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// AddSigner is the change of `docker trust signer add` (cli/command/trust
// addStagedSigner): keys join role (targets/<name>, all paths) and then
// targets/releases, in that order, so that a new role is listed before a new releases
// role as docker lists them. Docker's scripts and `notary list` see the same targets.json.
func (r *Repository) AddSigner(ctx context.Context, role string, keys []tuf.PublicKey) error {
	if path.Dir(role) != tuf.RoleTargets || role == ReleasesRole || !tuf.IsDelegation(role) {
		return fmt.Errorf("invalid signer role %q: targets/<name> of lower-case letters, digits, -, _", role)
	}
	if len(keys) == 0 {
		return fmt.Errorf("signer %s: no keys given", role)
	}
	return r.change(ctx, true, func(st *state) error {
		if err := st.delegate(role, keys, []string{""}); err != nil {
			return err
		}
		return st.delegate(ReleasesRole, keys, []string{""})
	})
}

// NoSigningKeysError: the trust dir holds no key of any delegation that may sign Name
// (docker's "no valid signing keys for delegation roles").
type NoSigningKeysError struct {
	GUN, Name string
	// Needed are the delegations that could sign it, each with its canonical key IDs.
	Needed []string
}

func (e *NoSigningKeysError) Error() string {
	return fmt.Sprintf("no valid signing keys for delegation roles of %s: %s needs the private key of one of %s; import it with `trustctl key import KEYFILE --role NAME`",
		e.GUN, e.Name, strings.Join(e.Needed, ", "))
}
