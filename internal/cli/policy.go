package cli

import (
	"fmt"
	"strings"
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
		Short:   "Check and explain verify policies",
	}
	cmd.AddCommand(a.policyLintCommand(), a.policyExplainCommand())
	return cmd
}

func (a *app) policyLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "lint POLICY",
		Example: "  trustctl policy lint policy.yml",
		Short:   "Check a policy file: schema, patterns, team member files",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := policy.Load(args[0]); err != nil {
				return err
			}
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
			return a.printExplanation(x)
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "judge expiry and exceptions at this time (RFC 3339) instead of now")
	return withFormats(cmd, outputTable, outputJSON)
}

func (a *app) printExplanation(x gate.Explanation) error {
	w := a.streams.Out
	d := x.Decision
	fmt.Fprintf(w, "%s: %s by %s\n  %s\n", d.Image, d.Result, d.Rule, d.Reason)
	if t := x.Facts.Trust; t != nil {
		fmt.Fprintf(w, "\nTrust data: %s: %s\n", t.Kind, t.Reason)
	}
	for _, section := range []struct {
		title string
		cands []policy.Candidate
	}{{"Exceptions", x.Exceptions}, {"Rules", x.Rules}, {"Pins", x.Pins}} {
		if len(section.cands) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", section.title)
		rows := make([][]string, 0, len(section.cands))
		for _, c := range section.cands {
			mark := ""
			if c.Won {
				mark = "*"
			}
			rows = append(rows, []string{mark, c.Label, c.Why})
		}
		if err := report.Table(w, []string{"", "ENTRY", "WHY"}, rows); err != nil {
			return err
		}
	}
	if len(x.Facts.Roles) > 0 {
		fmt.Fprintf(w, "\nSignatures\n")
		rows := make([][]string, 0, len(x.Facts.Roles))
		for _, r := range x.Facts.Roles {
			state := "verified"
			if !r.Verified {
				state = "refused: " + r.Problem
			}
			rows = append(rows, []string{r.Role, r.Tag, r.Digest, strings.Join(r.KeyIDs, ", "), state})
		}
		return report.Table(w, []string{"ROLE", "TAG", "DIGEST", "SIGNED BY KEYS", "STATE"}, rows)
	}
	return nil
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
