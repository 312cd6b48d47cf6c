package report

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/trustctl/trustctl/internal/policy"
)

// Format is a report format of `trustctl verify`.
type Format string

// The formats of RenderVerify (docs/report-json.md).
const (
	FormatTable  Format = "table"
	FormatJSON   Format = "json"
	FormatJUnit  Format = "junit"
	FormatSARIF  Format = "sarif"
	FormatGitHub Format = "github"
)

var formats = []Format{FormatTable, FormatJSON, FormatJUnit, FormatSARIF, FormatGitHub}

// ParseFormat checks a format name given on the command line.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown report format %q: want table, json, junit, sarif or github", s)
}

// VerifyReport is what `trustctl verify` found, with what is needed to trace it back.
type VerifyReport struct {
	Decisions []policy.Decision // in the order of the stack files
	Policy    string            // policy file path
	Files     []string          // stack or compose files
	Now       time.Time         // when expiry and exceptions were judged
	Tool      string            // "trustctl v1.2.3"
}

// RenderVerify writes r in format f; decisions keep their order in every format, so
// reports of the same input are byte for byte the same.
func RenderVerify(w io.Writer, f Format, r VerifyReport) error {
	switch f {
	case FormatTable:
		return renderTable(w, r)
	case FormatJSON:
		return renderJSON(w, r)
	case FormatJUnit:
		return renderJUnit(w, r)
	case FormatSARIF:
		return renderSARIF(w, r)
	case FormatGitHub:
		return renderGitHub(w, r)
	}
	return fmt.Errorf("unknown report format %q", string(f))
}

// SummaryLine counts decisions in one line, the last of the table and the message of
// a failing verify. Services built locally pull no image: they are counted apart, not
// as images, and the results count images only. Expired exceptions are counted apart
// too: their images are already counted under the result the rules gave them.
func SummaryLine(ds []policy.Decision) string {
	s := summarize(ds)
	line := count(s.images, "image")
	if s.buildOnly > 0 {
		line += fmt.Sprintf(", %d build-only", s.buildOnly)
	}
	line += fmt.Sprintf(": %d passed, %d failed, %s, %s, %s", s.Passed, s.Failed,
		count(s.Warned, "warning"), count(s.Excepted, "exception"), count(s.TrustErrors, "trust error"))
	if s.ExpiredExceptions > 0 {
		line += fmt.Sprintf("; %s expired", count(s.ExpiredExceptions, "exception"))
	}
	return line
}

// summary is what every summary of a report counts.
type summary struct {
	policy.Summary // of the images only
	images         int
	buildOnly      int
}

func summarize(ds []policy.Decision) summary {
	images := slices.DeleteFunc(slices.Clone(ds), func(d policy.Decision) bool { return d.Code == policy.CodeBuildOnly })
	return summary{Summary: policy.Summarize(images), images: len(images), buildOnly: len(ds) - len(images)}
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func renderTable(w io.Writer, r VerifyReport) error {
	rows := make([][]string, 0, len(r.Decisions))
	for _, d := range r.Decisions {
		rows = append(rows, []string{
			cell(serviceLabel(d.Source)), cell(location(d.Source)), cell(d.Image.String()), cell(shortDigest(d.Digest)),
			cell(strings.Join(d.SignedBy, ", ")), d.Result.String(), cell(reasonText(d)),
		})
	}
	var buf bytes.Buffer
	if err := Table(&buf, []string{"SERVICE", "FILE:LINE", "IMAGE", "DIGEST", "SIGNED BY", "RESULT", "REASON"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(&buf, "\n%s\n", SummaryLine(r.Decisions))
	_, err := w.Write(buf.Bytes())
	return err
}

// location is where the image is set, file:line ("" when unknown).
func location(s policy.Source) string {
	if s.File == "" || s.Line == 0 {
		return s.File
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// cell keeps a value on one line of the terminal: names and reasons come from user
// files, and a newline or an escape sequence in them must not forge table rows or
// drive the terminal. An empty value shows as "-" so that columns stay readable.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// shortDigest cuts a digest to its algorithm and 12 hex digits, as docker shows IDs.
func shortDigest(digest string) string {
	keep := strings.IndexByte(digest, ':') + 1 + 12
	if len(digest) <= keep {
		return digest
	}
	return digest[:keep]
}

// reasonText is the decision's reason, naming the expired exception that no longer
// applies: the reason alone does not say that someone meant to excuse the image.
func reasonText(d policy.Decision) string {
	if d.ExpiredException == "" {
		return d.Reason
	}
	return d.Reason + "; " + d.ExpiredException + " has expired"
}

// message describes a decision in one sentence for annotations and SARIF results,
// where the location alone does not say which service or image it is about.
func message(d policy.Decision) string {
	var subject []string
	if d.Source.Service != "" {
		subject = append(subject, "service "+serviceLabel(d.Source))
	}
	if img := d.Image.String(); img != "" {
		subject = append(subject, "image "+img)
	}
	m := reasonText(d)
	if len(subject) > 0 {
		m = strings.Join(subject, ", ") + ": " + m
	}
	if d.Rule != "" {
		m += " (decided by " + d.Rule + ")"
	}
	return m
}

// slashPath is a file path as CI systems expect it: cleaned, with forward slashes.
func slashPath(file string) string {
	return filepath.ToSlash(filepath.Clean(file))
}

// serviceLabel names a service, and what of it pulls the image when it is not its
// containers: "web", "web (pre_start[0])", "web (volume /assets)".
func serviceLabel(s policy.Source) string {
	if s.Use == "" {
		return s.Service
	}
	return s.Service + " (" + s.Use + ")"
}
