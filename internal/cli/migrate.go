package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// migrateOptions are the inputs of migrate.
type migrateOptions struct {
	to, format, role, policyFile, now string
	files                             []string
	dryRun, evidence                  bool
}

func (a *app) migrateCommand() *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:     "migrate [REPOSITORY...] [-f STACKFILE...] --to cosign",
		Example: "  trustctl migrate registry.example.com/team/app --to cosign --dry-run\n  trustctl migrate -f stack.yml --to cosign --format bundle --evidence --policy policy.yml",
		Short:   "Carry Notary v1 signatures over to cosign signatures in the registry",
		Long: "Verify each repository's trust data in the trust dir (run `trustctl fetch` first), then sign every tag " +
			"held by a role that verifies with cosign, over the same digest, with a key that the role's current " +
			"delegation lists and whose private key is in the trust dir. The signature records the Notary v1 " +
			"provenance (role, key, role file and root hashes). Tags whose manifest is gone from the registry are " +
			"skipped; a run again adds nothing. Everything is checked before anything is written (docs/migrate.md).",
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.migrate(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "signature scheme to migrate to: cosign")
	f.StringVar(&o.format, "format", string(migrate.Legacy), "legacy (the sha256-<hex>.sig image, cosign v2) or bundle (the sigstore bundle referrer, cosign v3)")
	f.StringVarP(&o.role, "role", "r", "", "migrate only the tags of this role (releases, qa, targets/qa, targets)")
	f.StringSliceVarP(&o.files, "file", "f", nil, "compose or stack file whose images' repositories are migrated")
	f.StringVar(&o.policyFile, "policy", "", "policy file whose trust.pins pin the roots, as in verify")
	f.StringVar(&o.now, "now", "", "judge expiry at this time (RFC 3339) instead of now; also the recorded time of migration")
	f.BoolVar(&o.dryRun, "dry-run", false, "list what would be written, write nothing")
	f.BoolVar(&o.evidence, "evidence", false, "also attach the exact Notary v1 files to each migrated image, as an OCI referrer (verify-evidence re-verifies them without a server)")
	cmd.MarkFlagRequired("to")
	return withFormats(cmd, outputTable, outputJSON)
}

func (a *app) migrate(cmd *cobra.Command, o migrateOptions, args []string) error {
	if o.to != "cosign" {
		return usageError(cmd, fmt.Errorf("--to %q: only cosign is supported", o.to))
	}
	format, err := migrate.ParseFormat(o.format)
	if err != nil {
		return err
	}
	opts := gate.MigrateOptions{Files: o.files, Options: migrate.Options{Format: format, DryRun: o.dryRun, Evidence: o.evidence,
		TrustDir: store.Dir{Root: a.trustDir()}, Keys: a.keyStore(), Registry: a.registry, Log: a.log}}
	if o.role != "" {
		if opts.Role, err = delegationRole(o.role); err != nil {
			return err
		}
	}
	if o.now != "" {
		if opts.Now, err = parseNow(o.now); err != nil {
			return err
		}
		// Signatures and evidence will say they were migrated then.
		a.log.Warn("expiry is judged at --now, not the current time, and recorded as the time of migration", "now", opts.Now.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if o.policyFile != "" {
		if opts.Policy, err = policy.Load(o.policyFile); err != nil {
			return err
		}
	}
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		if ref.tag != "" || ref.digest != "" {
			return fmt.Errorf("give a repository, not %s: every tag of its roles is migrated (use --role to choose a role)", arg)
		}
		opts.Repositories = append(opts.Repositories, ref.gun)
	}
	res, err := gate.Migrate(cmd.Context(), opts)
	if errors.Is(err, gate.ErrNoRepositories) {
		return usageError(cmd, err)
	}
	if err == nil || len(res.Items) > 0 {
		render := report.MigrateTable
		if a.jsonOutput(cmd) {
			render = report.MigrateJSON
		}
		if rerr := render(a.streams.Out, res); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}
