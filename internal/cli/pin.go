package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// maxPinnedFile bounds the file pin reads to rewrite.
const maxPinnedFile = 16 << 20

func (a *app) pinCommand() *cobra.Command {
	var (
		policyFile string
		now        string
		mode       string
		profiles   []string
		envFiles   []string
		output     string
		inPlace    bool
	)
	cmd := &cobra.Command{
		Use:     "pin FILE --policy POLICY [--output-file OUT | --in-place]",
		Example: "  trustctl pin stack.yml --policy policy.yml --in-place\n  trustctl pin compose.yml --policy policy.yml --output-file compose.pinned.yml",
		Short:   "Rewrite the image: values of one compose file to the digests that passed the policy",
		Long: "Verify one compose or stack file as verify does and, when it passes, rewrite only its image: values " +
			"to name:tag@digest, every other byte kept (comments, anchors, order, quoting), for tools that take a " +
			"single file. Interpolated images are not rewritten: they are named, and verify --pin-file pins them. " +
			"The result goes to stdout, to --output-file OUT or back into FILE (--in-place); nothing is written unless every " +
			"image passed. Exit codes as verify.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "" && inPlace {
				return errors.New("give --output-file OUT or --in-place, not both")
			}
			file := args[0]
			if output != "" {
				if err := pin.CheckTarget(output, args); err != nil {
					return err
				}
			}
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			stackMode, err := parseStackMode(mode)
			if err != nil {
				return err
			}
			pol, err := policy.Load(policyFile)
			if err != nil {
				return err
			}
			data, err := store.ReadFileLimit(file, maxPinnedFile)
			if err != nil {
				return fmt.Errorf("read %s: %w", file, err)
			}
			decisions, err := gate.Run(cmd.Context(), gate.Options{Files: args,
				Stack:  stack.Options{Mode: stackMode, Profiles: profiles, EnvFiles: envFiles, Log: a.log},
				Policy: pol, TrustDir: store.Dir{Root: a.trustDir()}, Now: at, Log: a.log})
			if err != nil {
				return err
			}
			if kind := policy.Worst(decisions).Kind(); kind != nil {
				relativeSources(decisions)
				if err := report.RenderVerify(a.streams.Err, report.FormatTable, report.VerifyReport{Decisions: decisions,
					Policy: policyFile, Files: args, Now: at, Tool: "trustctl " + version}); err != nil {
					return err
				}
				// the table ends with the summary: it is not repeated
				return exitcode.Mark(kind, shown(errors.New(report.SummaryLine(decisions))))
			}
			pinned, skipped, err := pin.Rewrite(data, pin.Digests(decisions))
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			for _, s := range skipped {
				fmt.Fprintf(a.streams.Err, "trustctl: %s:%d: service %s not pinned: %s\n", file, s.Line, s.Service, s.Reason)
			}
			switch {
			case inPlace:
				info, err := os.Stat(file)
				if err != nil {
					return err
				}
				return pin.WriteMode(file, pinned, info.Mode().Perm())
			case output != "":
				return pin.Write(output, pinned)
			}
			_, err = a.streams.Out.Write(pinned)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyFile, "policy", "", "policy file (docs/policy.md)")
	f.StringVar(&now, "now", "", "judge expiry and exceptions at this time (RFC 3339) instead of now")
	f.StringVar(&mode, "mode", "auto", "stack, compose or auto, as verify")
	f.StringSliceVar(&profiles, "profile", nil, "compose profiles to activate")
	f.StringSliceVar(&envFiles, "env-file", nil, "environment files for interpolation")
	f.StringVar(&output, "output-file", "", "write the pinned file here instead of stdout")
	f.BoolVar(&inPlace, "in-place", false, "rewrite FILE itself (atomically, mode kept)")
	cmd.MarkFlagRequired("policy")
	return cmd
}
