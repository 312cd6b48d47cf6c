package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/policy"
)

// jsonVersion is bumped when a field is removed or changes meaning; new fields may be
// added without a bump (docs/report-json.md).
const jsonVersion = 2

// The JSON report is its own set of types, not policy's JSON tags, so that the schema
// documented in docs/report-json.md changes only here. Every field is always present:
// consumers need not tell a missing field from an empty one.
type jsonReport struct {
	Version     int         `json:"version"`
	Tool        string      `json:"tool"`
	Policy      string      `json:"policy"`
	Files       []string    `json:"files"`
	EvaluatedAt string      `json:"evaluated_at"`
	Result      string      `json:"result"`
	ExitCode    int         `json:"exit_code"`
	Summary     jsonSummary `json:"summary"`
	Images      []jsonImage `json:"images"`
}

type jsonSummary struct {
	Images            int `json:"images"`
	BuildOnly         int `json:"build_only"`
	Passed            int `json:"passed"`
	Failed            int `json:"failed"`
	Warnings          int `json:"warnings"`
	Exceptions        int `json:"exceptions"`
	TrustErrors       int `json:"trust_errors"`
	ExpiredExceptions int `json:"expired_exceptions"`
}

type jsonImage struct {
	Service          string   `json:"service"`
	Use              string   `json:"use,omitempty"`
	File             string   `json:"file"`
	Line             int      `json:"line"`
	Image            string   `json:"image"`
	Repository       string   `json:"repository"`
	Tag              string   `json:"tag"`
	Digest           string   `json:"digest"`
	Result           string   `json:"result"`
	Code             string   `json:"code"`
	Reason           string   `json:"reason"`
	Rule             string   `json:"rule"`
	SignedBy         []string `json:"signed_by"`
	ExpiredException string   `json:"expired_exception"`
}

func renderJSON(w io.Writer, r VerifyReport) error {
	s := summarize(r.Decisions)
	worst := policy.Worst(r.Decisions)
	out := jsonReport{
		Version:     jsonVersion,
		Tool:        r.Tool,
		Policy:      r.Policy,
		Files:       append([]string{}, r.Files...), // [] rather than null
		EvaluatedAt: r.Now.UTC().Format(time.RFC3339),
		Result:      worst.String(),
		ExitCode:    exitcode.Of(worst.Kind()),
		Summary: jsonSummary{
			Images: s.images, BuildOnly: s.buildOnly, Passed: s.Passed, Failed: s.Failed, Warnings: s.Warned,
			Exceptions: s.Excepted, TrustErrors: s.TrustErrors, ExpiredExceptions: s.ExpiredExceptions,
		},
		Images: make([]jsonImage, 0, len(r.Decisions)),
	}
	for _, d := range r.Decisions {
		out.Images = append(out.Images, jsonImage{
			Service:          d.Source.Service,
			Use:              d.Source.Use,
			File:             d.Source.File,
			Line:             d.Source.Line,
			Image:            d.Image.String(),
			Repository:       d.Image.Repo,
			Tag:              d.Image.Tag,
			Digest:           d.Digest,
			Result:           d.Result.String(),
			Code:             string(d.Code),
			Reason:           d.Reason,
			Rule:             d.Rule,
			SignedBy:         append([]string{}, d.SignedBy...),
			ExpiredException: d.ExpiredException,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
