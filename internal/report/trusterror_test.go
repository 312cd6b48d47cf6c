package report

import (
	"strings"
	"testing"

	"github.com/trustctl/trustctl/internal/policy"
)

// TestRefusedTeamRoleInEveryFormat: a team role that failed verification is a trust
// error naming the role and the reason in every format, not a log line.
func TestRefusedTeamRoleInEveryFormat(t *testing.T) {
	reason := "team qa: role targets/qa was refused: trust data of r.io/app: targets/qa (targets/qa.json): hash-mismatch: sha256 differs from the recorded one"
	r := VerifyReport{Policy: "policy.yml", Files: []string{"stack.yml"}, Now: now, Tool: "trustctl test",
		Decisions: []policy.Decision{{Image: image(t, "r.io/app:1"), Source: policy.Source{Service: "app", File: "stack.yml", Line: 3},
			Result: policy.TrustError, Code: policy.CodeTrustData, Reason: reason, Rule: "default"}}}
	for f := range goldenFiles {
		out := string(render(t, f, r))
		if !strings.Contains(out, "targets/qa was refused") || !strings.Contains(out, "hash-mismatch") {
			t.Errorf("%s does not name the refused role and why:\n%s", f, out)
		}
	}
}
