package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
)

// resolvedJSON is one entry of `resolve -o json` (docs/report-json.md).
type resolvedJSON struct {
	Image     string        `json:"image"`
	Reference string        `json:"reference,omitempty"`
	Result    policy.Result `json:"result"`
	Code      policy.Code   `json:"code"`
	Reason    string        `json:"reason"`
	Digest    string        `json:"digest,omitempty"`
	Role      string        `json:"role,omitempty"`
	Signers   []string      `json:"signers,omitempty"`
	Teams     []string      `json:"teams,omitempty"`
	Expires   string        `json:"expires,omitempty"`
}

// RenderResolve writes the references docker would pull, one per line, or with asJSON
// every resolution with its role, signers and expiry. Lines are written only when every
// image resolved: a script must not pull a partial list.
func RenderResolve(w io.Writer, asJSON bool, rs []pin.Resolved) error {
	if asJSON {
		out := make([]resolvedJSON, 0, len(rs))
		for _, r := range rs {
			d := r.Decision
			j := resolvedJSON{Image: r.Image, Reference: r.Reference, Result: d.Result, Code: d.Code, Reason: d.Reason,
				Digest: d.Digest, Role: r.Role, Signers: r.Signers}
			if d.Code == policy.CodeSigned && r.Reference != "" && !slices.Equal(d.SignedBy, r.Signers) {
				j.Teams = d.SignedBy // a teams rule names the teams that signed
			}
			if !r.Expires.IsZero() {
				j.Expires = r.Expires.UTC().Format(time.RFC3339)
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, r := range rs {
		if r.Reference == "" {
			return nil
		}
	}
	for _, r := range rs {
		if _, err := fmt.Fprintln(w, r.Reference); err != nil {
			return err
		}
	}
	return nil
}
