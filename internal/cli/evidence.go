package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

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
	opts := migrate.VerifyImagesOptions{Registry: a.registry, Log: a.log}
	switch {
	case o.policyFile != "" && len(o.rootKeys) > 0:
		return usageError(cmd, errors.New("give --policy or --root-key, not both"))
	case o.policyFile != "":
		pol, err := policy.Load(o.policyFile)
		if err != nil {
			return err
		}
		opts.Pin = func(gun string) *tuf.Pin { return gate.TrustPin(pol, gun) }
	case len(o.rootKeys) > 0:
		opts.Pin = func(string) *tuf.Pin { return &tuf.Pin{CertIDs: o.rootKeys} }
	}
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		if ref.tag == "" && ref.digest == "" {
			return fmt.Errorf("give IMAGE:TAG or IMAGE@DIGEST, not %s", arg)
		}
		opts.Images = append(opts.Images, migrate.Image{GUN: ref.gun, Tag: ref.tag, Digest: ref.digest, Ref: arg})
	}
	rows, err := migrate.VerifyImages(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if a.jsonOutput(cmd) {
		return report.EvidenceJSON(a.streams.Out, rows)
	}
	return report.EvidenceTable(a.streams.Out, rows)
}
