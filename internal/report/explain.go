package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/trustctl/trustctl/internal/policy"
)

// Explanation writes `policy explain` for people: the decision, then the exceptions,
// rules and pins that were weighed (the winner starred), then who signed what.
func Explanation(w io.Writer, x policy.Explanation, facts policy.Facts) error {
	d := x.Decision
	fmt.Fprintf(w, "%s: %s by %s\n  %s\n", d.Image, d.Result, d.Rule, d.Reason)
	if t := facts.Trust; t != nil {
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
		if err := Table(w, []string{"", "ENTRY", "WHY"}, rows); err != nil {
			return err
		}
	}
	if len(facts.Roles) > 0 {
		fmt.Fprintf(w, "\nSignatures\n")
		rows := make([][]string, 0, len(facts.Roles))
		for _, r := range facts.Roles {
			state := "verified"
			if !r.Verified {
				state = "refused: " + r.Problem
			}
			rows = append(rows, []string{r.Role, r.Tag, r.Digest, strings.Join(r.KeyIDs, ", "), state})
		}
		if err := Table(w, []string{"ROLE", "TAG", "DIGEST", "SIGNED BY KEYS", "STATE"}, rows); err != nil {
			return err
		}
	}
	if err := evidenceClaims(w, facts.Evidence); err != nil {
		return err
	}
	return cosignSignatures(w, facts.Cosign)
}

// evidenceClaims lists what the kept evidence of migrate proved, or why it was refused.
func evidenceClaims(w io.Writer, e policy.EvidenceFacts) error {
	if e.Problem != "" {
		fmt.Fprintf(w, "\nEvidence refused: %s\n", e.Problem)
	}
	if len(e.Claims) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nEvidence (Notary v1, verified as of the time of migration)\n")
	rows := make([][]string, 0, len(e.Claims))
	for _, c := range e.Claims {
		rows = append(rows, []string{c.Role, c.Tag, c.Digest, strings.Join(c.KeyIDs, ", "), c.Migrated.UTC().Format("2006-01-02T15:04:05Z")})
	}
	return Table(w, []string{"ROLE", "TAG", "DIGEST", "SIGNED BY KEYS", "MIGRATED"}, rows)
}

// cosignSignatures lists the cosign signatures that policy keys verified, with what
// each signed name binds.
func cosignSignatures(w io.Writer, c policy.CosignFacts) error {
	if c.Problem != "" {
		fmt.Fprintf(w, "\nCosign data: %s\n", c.Problem)
	}
	if len(c.Signatures) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nCosign signatures\n")
	rows := make([][]string, 0, len(c.Signatures))
	for _, s := range c.Signatures {
		signedFor := s.SignedFor
		if signedFor == "" {
			signedFor = "-"
		}
		rows = append(rows, []string{s.Format, s.Digest, signedFor, s.Binding.String(), strings.Join(s.KeyIDs, ", ")})
	}
	return Table(w, []string{"FORMAT", "DIGEST", "SIGNED FOR", "BINDS", "SIGNED BY KEYS"}, rows)
}
