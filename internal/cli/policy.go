package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/store"
)

func (a *app) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Example: "  trustctl policy lint policy.yml",
		Short:   "Check, explain and pin verify policies",
	}
	cmd.AddCommand(a.policyLintCommand(), a.policyExplainCommand(), a.policyPinCommand())
	return cmd
}

func (a *app) policyLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "lint POLICY",
		Example: "  trustctl policy lint policy.yml",
		Short:   "Check a policy file: schema, patterns, team member files",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pol, err := policy.Load(args[0])
			if err != nil {
				return err
			}
			a.warnAll(pol.Warnings())
			fmt.Fprintf(a.streams.Out, "%s: ok\n", args[0])
			return nil
		},
	}
}

func (a *app) policyExplainCommand() *cobra.Command {
	var now string
	cmd := &cobra.Command{
		Use:     "explain POLICY IMAGE",
		Example: "  trustctl policy explain policy.yml registry.example.com/team/app:1.0\n  trustctl policy explain policy.yml registry.example.com/team/app:1.0 -o json",
		Short:   "Show which rule decides an image and why the others lost, and who signed what",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			pol, err := policy.Load(args[0])
			if err != nil {
				return err
			}
			x, err := gate.Explain(cmd.Context(), gate.Options{Policy: pol, TrustDir: store.Dir{Root: a.trustDir()}, Now: at, Log: a.log}, args[1])
			if err != nil {
				return err
			}
			if a.jsonOutput(cmd) {
				return writeJSON(a.streams.Out, x)
			}
			return report.Explanation(a.streams.Out, x.Explanation, x.Facts)
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "judge expiry and exceptions at this time (RFC 3339) instead of now")
	return withFormats(cmd, outputTable, outputJSON)
}

// parseNow reads --now: RFC 3339, or now when empty.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now %q: want RFC 3339, like 2027-01-01T00:00:00Z", s)
	}
	return t, nil
}
