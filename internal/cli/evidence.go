package cli

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/migrate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// verifyEvidenceOptions are the inputs of verify-evidence.
type verifyEvidenceOptions struct {
	policyFile string
	rootKeys   []string
}

func (a *app) verifyEvidenceCommand() *cobra.Command {
	var o verifyEvidenceOptions
	cmd := &cobra.Command{
		Use:     "verify-evidence IMAGE:TAG|IMAGE@DIGEST... [--policy POLICY | --root-key ID]",
		Example: "  trustctl verify-evidence registry.example.com/team/app:1.4 --policy policy.yml\n  trustctl verify-evidence registry.example.com/team/app@sha256:0123… -o json",
		Short:   "Re-verify the Notary v1 record that `migrate --evidence` attached to an image, without a notary server",
		Long: "Read the evidence artifacts referring to each image from its registry and verify the Notary v1 files " +
			"they hold as a fetch would (signatures, thresholds, hashes, delegations, the root pin), with expiry " +
			"judged at the recorded time of migration. IMAGE:TAG asks the registry for the tag's digest and " +
			"requires the evidence to prove that tag. Exit 0 when every image is proven, 3 when evidence is " +
			"missing or does not verify.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.verifyEvidence(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policyFile, "policy", "", "policy file whose trust.pins pin the roots")
	f.StringSliceVar(&o.rootKeys, "root-key", nil, "pin the root: a root key ID the evidence's root must use")
	return withFormats(cmd, outputTable, outputJSON)
}

func (a *app) verifyEvidence(cmd *cobra.Command, o verifyEvidenceOptions, args []string) error {
	ctx := cmd.Context()
	pin := func(string) *tuf.Pin { return nil }
	switch {
	case o.policyFile != "" && len(o.rootKeys) > 0:
		return usageError(cmd, errors.New("give --policy or --root-key, not both"))
	case o.policyFile != "":
		pol, err := policy.Load(o.policyFile)
		if err != nil {
			return err
		}
		pin = func(gun string) *tuf.Pin { return gate.TrustPin(pol, gun) }
	case len(o.rootKeys) > 0:
		pin = func(string) *tuf.Pin { return &tuf.Pin{CertIDs: o.rootKeys} }
	}
	var rows []report.EvidenceRow
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		if ref.tag == "" && ref.digest == "" {
			return fmt.Errorf("give IMAGE:TAG or IMAGE@DIGEST, not %s", arg)
		}
		reg, name, err := a.registry(ref.gun)
		if err != nil {
			return err
		}
		digest := ref.digest
		if digest == "" {
			d, err := reg.Resolve(ctx, name, ref.tag)
			if err != nil {
				return fmt.Errorf("resolve %s: %w", arg, err)
			}
			digest = d.Digest
		}
		p := pin(ref.gun)
		if p == nil {
			a.log.Warn("root not pinned: the evidence's own root is trusted (pin it with --policy or --root-key)", "repository", ref.gun)
		}
		proven, err := migrate.VerifyEvidence(ctx, migrate.VerifyEvidenceOptions{GUN: ref.gun, Digest: digest, Registry: reg, Name: name, Pin: p})
		if err != nil {
			return err
		}
		before := len(rows)
		for _, e := range proven {
			for _, c := range e.Claims {
				if ref.tag == "" || c.Tag == ref.tag {
					rows = append(rows, report.EvidenceRow{Image: ref.gun, Digest: digest, Tag: c.Tag, Role: c.Role, Migrated: e.Migrated, Artifact: e.Artifact})
				}
			}
		}
		if len(rows) == before {
			return exitcode.Mark(exitcode.ErrTrustData, fmt.Errorf("the evidence of %s@%s does not prove tag %s", ref.gun, digest, ref.tag))
		}
	}
	slices.SortStableFunc(rows, func(x, y report.EvidenceRow) int {
		return cmp.Or(strings.Compare(x.Image, y.Image), strings.Compare(x.Tag, y.Tag), strings.Compare(x.Role, y.Role))
	})
	if a.jsonOutput(cmd) {
		return writeJSON(a.streams.Out, rows)
	}
	return report.EvidenceTable(a.streams.Out, rows)
}
