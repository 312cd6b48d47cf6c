package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/trustctl/trustctl/internal/policy"
)

const junitSuiteName = "trustctl verify"

// JUnit XML as Jenkins, GitLab and the GitHub test reporters read it: one suite, one
// test case per image use. encoding/xml escapes the user's strings and replaces
// characters XML cannot hold.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func renderJUnit(w io.Writer, r VerifyReport) error {
	s := policy.Summarize(r.Decisions)
	suite := junitSuite{
		Name:     junitSuiteName,
		Tests:    len(r.Decisions),
		Failures: s.Failed,
		Errors:   s.TrustErrors,
		// JUnit's timestamp is an xs:dateTime without a zone, taken as UTC.
		Timestamp:  r.Now.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{{"tool", r.Tool}, {"policy", r.Policy}},
		Cases:      make([]junitCase, 0, len(r.Decisions)),
	}
	for _, f := range r.Files {
		suite.Properties = append(suite.Properties, junitProperty{"file", f})
	}
	for _, d := range r.Decisions {
		c := junitCase{Classname: d.Source.File, Name: strings.TrimSpace(serviceLabel(d.Source) + " " + d.Image.String())}
		details := junitDetails(d)
		switch d.Result {
		case policy.Fail:
			c.Failure = &junitProblem{Message: reasonText(d), Type: "policy", Text: details}
		case policy.TrustError:
			c.Error = &junitProblem{Message: reasonText(d), Type: "trust-data", Text: details}
		default:
			// Warnings and exceptions pass, as they do not fail verify; skipped would
			// hide them among tests that did not run.
			c.SystemOut = details
		}
		suite.Cases = append(suite.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	err := enc.Encode(junitSuites{Name: junitSuiteName, Tests: suite.Tests, Failures: suite.Failures,
		Errors: suite.Errors, Suites: []junitSuite{suite}})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// junitDetails lists what a reader of the test report needs to act on the decision,
// one "key: value" per line.
func junitDetails(d policy.Decision) string {
	var b strings.Builder
	add := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", key, value)
		}
	}
	add("result", d.Result.String())
	add("reason", reasonText(d))
	add("rule", d.Rule)
	loc := d.Source.File
	if loc != "" && d.Source.Line > 0 {
		loc += ":" + strconv.Itoa(d.Source.Line)
	}
	add("location", loc)
	add("digest", d.Digest)
	add("signed by", strings.Join(d.SignedBy, ", "))
	return b.String()
}
