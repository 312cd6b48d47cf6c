package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
	digestC = "sha256:" + strings.Repeat("c", 64)
	now     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

func image(t testing.TB, ref string) policy.Image {
	t.Helper()
	i, err := policy.ParseImage(ref)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// sampleReport has one decision of every kind verify makes, with reasons as the
// policy writes them, and one with hostile names.
func sampleReport(t testing.TB) VerifyReport {
	src := func(service string, line int) policy.Source {
		return policy.Source{Service: service, File: "stack.yml", Line: line}
	}
	ds := []policy.Decision{
		{Image: image(t, "registry.example.com/payments/api:1.4"), Source: src("api", 4), Result: policy.Pass,
			Code: policy.CodeSigned, Reason: "tag 1.4 is signed with sha256:aaaaaaaaaaaa… in targets/releases, signed by teams qa, security",
			Rule: "rules[0] registry.example.com/payments/**", Digest: digestA, SignedBy: []string{"qa", "security"}},
		{Image: image(t, "redis:7"), Source: src("cache", 9), Result: policy.Fail,
			Code: policy.CodeUnsigned, Reason: "tag 7 is not signed in targets/releases or targets", Rule: "default"},
		{Image: image(t, "registry.example.com/dev/app:2.0@"+digestB), Source: src("app", 14), Result: policy.Fail,
			Code: policy.CodeDigestMismatch, Reason: "tag 2.0 is signed with sha256:aaaaaaaaaaaa…, image pins sha256:bbbbbbbbbbbb…",
			Rule: "default", Digest: digestA},
		{Image: image(t, "registry.example.com/payments/worker:1.5"), Source: src("worker", 19), Result: policy.Fail,
			Code: policy.CodeTeamsMissing, Reason: "tag 1.5 is signed with sha256:cccccccccccc… in targets/releases: team security has not signed it",
			Rule: "rules[0] registry.example.com/payments/**", Digest: digestC},
		{Image: image(t, "registry.example.com/dev/db:16"), Source: src("db", 24), Result: policy.TrustError,
			Reason: "trust data expired: timestamp.json expired on 2026-05-01", Rule: "default"},
		{Image: image(t, "nginx:1.27"), Source: src("proxy", 29), Result: policy.Warn,
			Reason: "tag 1.27 is not signed in targets/releases or targets (rule in warn mode)",
			Rule:   "rules[1] docker.io/library/*"},
		{Image: image(t, "registry.example.com/tools/debug:latest"), Source: src("debug", 34), Result: policy.Exception,
			Reason: "INC-4711 hotfix (exception until 2026-12-31)",
			Rule:   "exceptions[0] registry.example.com/tools/debug:*"},
		{Image: image(t, "registry.example.com/tools/probe:1"), Source: src("probe", 38), Result: policy.Fail,
			Code: policy.CodeUnsigned, Reason: "tag 1 is not signed in targets/releases or targets", Rule: "default",
			ExpiredException: "exceptions[1] registry.example.com/tools/probe:*"},
		{Image: image(t, "registry.example.com/tools/old@"+digestA), Source: src("old", 42), Result: policy.Pass,
			Reason: "digest sha256:aaaaaaaaaaaa… is signed as tag 3", Rule: "default", Digest: digestA,
			SignedBy: []string{"targets/releases"}, ExpiredException: "exceptions[2] registry.example.com/tools/old:*"},
		{Source: policy.Source{Service: "builder", File: "compose/override.yml", Line: 3}, Result: policy.Warn, Code: policy.CodeBuildOnly,
			Reason: "service has no image (build only): nothing to verify", Rule: "build-only"},
		{Image: image(t, "registry.example.com/legacy/cron:5"), Source: policy.Source{Service: "cron", File: "compose/override.yml"},
			Result: policy.Fail, Code: policy.CodeDenied, Reason: "denied by policy", Rule: "rules[2] registry.example.com/legacy/*"},
		{Image: image(t, "quay.io/team/tool:9"), Source: src("tool", 47), Result: policy.Fail,
			Code: policy.CodeUnpinned, Reason: "no trust pin covers quay.io/team/tool and trust.on_unpinned is deny", Rule: "default"},
		{Image: image(t, "registry.example.com/x:1"),
			Source: policy.Source{Service: "evil\"<&>\n::error::forged %0A\x1b[31m", File: "dir, a: b/100% sure.yml", Line: 50},
			Result: policy.Fail, Reason: "reason with <tags> & \"quotes\",\r\nsecond line ::warning::x 50%", Rule: "default"},
	}
	return VerifyReport{Decisions: ds, Policy: "policy.yml", Files: []string{"stack.yml", "compose/override.yml"},
		Now: now, Tool: "trustctl v0.9.0"}
}

var goldenFiles = map[Format]string{
	FormatTable:  "verify.table.golden",
	FormatJSON:   "verify.json.golden",
	FormatJUnit:  "verify.junit.xml.golden",
	FormatSARIF:  "verify.sarif.json.golden",
	FormatGitHub: "verify.github.golden",
}

func render(t *testing.T, f Format, r VerifyReport) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderVerify(&buf, f, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRenderVerifyGolden(t *testing.T) {
	r := sampleReport(t)
	for f, name := range goldenFiles {
		t.Run(string(f), func(t *testing.T) {
			got := render(t, f, r)
			if again := render(t, f, r); !bytes.Equal(got, again) {
				t.Fatal("two renderings differ")
			}
			checkLines(t, got)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test -run Golden -update to accept):\n%s", path, got)
			}
		})
	}
}

// checkLines rejects trailing blanks and a missing final newline.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
		t.Error("output does not end with a newline")
	}
	for i, line := range strings.Split(string(out), "\n") {
		if strings.TrimRight(line, " \t") != line {
			t.Errorf("line %d has trailing whitespace: %q", i+1, line)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "junit", "sarif", "github"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	for _, s := range []string{"", "JSON", "xml", "sarif "} {
		if _, err := ParseFormat(s); err == nil {
			t.Errorf("ParseFormat(%q) succeeded", s)
		}
	}
	if err := RenderVerify(&bytes.Buffer{}, "xml", VerifyReport{}); err == nil {
		t.Error("RenderVerify with an unknown format succeeded")
	}
}

func TestSummaryLine(t *testing.T) {
	d := func(r policy.Result, expired string) policy.Decision {
		return policy.Decision{Result: r, ExpiredException: expired}
	}
	buildOnly := policy.Decision{Result: policy.Warn, Code: policy.CodeBuildOnly, Rule: "build-only"}
	tests := []struct {
		ds   []policy.Decision
		want string
	}{
		{nil, "0 images: 0 passed, 0 failed, 0 warnings, 0 exceptions, 0 trust errors"},
		{[]policy.Decision{d(policy.Warn, "")},
			"1 image: 0 passed, 0 failed, 1 warning, 0 exceptions, 0 trust errors"},
		{[]policy.Decision{d(policy.Pass, "e"), d(policy.Fail, ""), d(policy.Exception, ""), d(policy.TrustError, "")},
			"4 images: 1 passed, 1 failed, 0 warnings, 1 exception, 1 trust error; 1 exception expired"},
		{[]policy.Decision{d(policy.Fail, "e"), d(policy.Fail, "f"), d(policy.TrustError, ""), d(policy.TrustError, ""), d(policy.Exception, ""), d(policy.Exception, "")},
			"6 images: 0 passed, 2 failed, 0 warnings, 2 exceptions, 2 trust errors; 2 exceptions expired"},
		// services built locally are not images: counted apart, and not as warnings
		{[]policy.Decision{d(policy.Pass, ""), d(policy.Fail, ""), d(policy.Warn, ""), buildOnly, buildOnly},
			"3 images, 2 build-only: 1 passed, 1 failed, 1 warning, 0 exceptions, 0 trust errors"},
	}
	for _, tt := range tests {
		if got := SummaryLine(tt.ds); got != tt.want {
			t.Errorf("SummaryLine = %q, want %q", got, tt.want)
		}
	}
}

func TestTableHostile(t *testing.T) {
	out := string(render(t, FormatTable, sampleReport(t)))
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("control characters reach the terminal:\n%q", out)
	}
	// A header, a row per decision, a blank line and the summary.
	if n, want := strings.Count(out, "\n"), len(sampleReport(t).Decisions)+3; n != want {
		t.Errorf("%d lines, want %d:\n%s", n, want, out)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	var got struct {
		Version     int      `json:"version"`
		Tool        string   `json:"tool"`
		Policy      string   `json:"policy"`
		Files       []string `json:"files"`
		EvaluatedAt string   `json:"evaluated_at"`
		Result      string   `json:"result"`
		ExitCode    int      `json:"exit_code"`
		Summary     map[string]int
		Images      []map[string]any `json:"images"`
	}
	if err := json.Unmarshal(render(t, FormatJSON, r), &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Tool != r.Tool || got.Policy != r.Policy || !slices.Equal(got.Files, r.Files) ||
		got.EvaluatedAt != "2026-06-01T12:00:00Z" || got.Result != "fail" || got.ExitCode != 1 {
		t.Errorf("header = %+v", got)
	}
	wantSummary := map[string]int{"images": 12, "build_only": 1, "passed": 2, "failed": 7, "warnings": 1, "exceptions": 1,
		"trust_errors": 1, "expired_exceptions": 2}
	for k, v := range wantSummary {
		if got.Summary[k] != v {
			t.Errorf("summary %s = %d, want %d", k, got.Summary[k], v)
		}
	}
	fields := []string{"service", "file", "line", "image", "repository", "tag", "digest", "result", "code", "reason",
		"rule", "signed_by", "expired_exception"}
	for i, img := range got.Images {
		for _, f := range fields {
			if _, ok := img[f]; !ok {
				t.Errorf("images[%d] has no %q", i, f)
			}
		}
		if len(img) != len(fields) {
			t.Errorf("images[%d] has %d fields, want %d", i, len(img), len(fields))
		}
		d := r.Decisions[i]
		if img["service"] != d.Source.Service || img["reason"] != d.Reason || img["file"] != d.Source.File {
			t.Errorf("images[%d] = %v, strings not kept", i, img)
		}
	}

	empty := render(t, FormatJSON, VerifyReport{Now: now})
	for _, want := range []string{`"files": []`, `"images": []`, `"result": "pass"`, `"exit_code": 0`} {
		if !bytes.Contains(empty, []byte(want)) {
			t.Errorf("empty report lacks %s:\n%s", want, empty)
		}
	}
}

func TestJUnitStructure(t *testing.T) {
	r := sampleReport(t)
	out := render(t, FormatJUnit, r)
	type problem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	var got struct {
		XMLName  xml.Name
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Classname string    `xml:"classname,attr"`
				Name      string    `xml:"name,attr"`
				Failure   *problem  `xml:"failure"`
				Error     *problem  `xml:"error"`
				Skipped   *struct{} `xml:"skipped"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.XMLName.Local != "testsuites" || len(got.Suites) != 1 {
		t.Fatalf("root %s with %d suites", got.XMLName.Local, len(got.Suites))
	}
	s := got.Suites[0]
	if s.Name != "trustctl verify" || s.Tests != 13 || s.Failures != 7 || s.Errors != 1 || s.Skipped != 0 ||
		got.Tests != s.Tests || got.Failures != s.Failures || got.Errors != s.Errors {
		t.Errorf("counts: suites %d/%d/%d, suite %+v", got.Tests, got.Failures, got.Errors, s)
	}
	if len(s.Cases) != len(r.Decisions) {
		t.Fatalf("%d test cases for %d decisions", len(s.Cases), len(r.Decisions))
	}
	var failures, errors int
	for i, c := range s.Cases {
		d := r.Decisions[i]
		// XML cannot hold ESC: encoding/xml writes U+FFFD instead.
		service := strings.ReplaceAll(d.Source.Service, "\x1b", "\uFFFD")
		if c.Classname != d.Source.File || !strings.HasPrefix(c.Name, service) {
			t.Errorf("case %d: classname %q, name %q", i, c.Classname, c.Name)
		}
		if c.Skipped != nil {
			t.Errorf("case %d is skipped", i)
		}
		switch d.Result {
		case policy.Fail:
			failures++
			if c.Failure == nil || c.Failure.Type != "policy" || !strings.HasPrefix(c.Failure.Message, d.Reason) || c.Error != nil {
				t.Errorf("case %d: failure %+v, error %+v", i, c.Failure, c.Error)
			}
		case policy.TrustError:
			errors++
			if c.Error == nil || c.Error.Type != "trust-data" || c.Error.Message != d.Reason || c.Failure != nil {
				t.Errorf("case %d: failure %+v, error %+v", i, c.Failure, c.Error)
			}
		default:
			if c.Failure != nil || c.Error != nil || !strings.Contains(c.SystemOut, d.Reason) {
				t.Errorf("case %d passes with %+v, %+v, output %q", i, c.Failure, c.Error, c.SystemOut)
			}
		}
	}
	if failures != s.Failures || errors != s.Errors {
		t.Errorf("%d failures and %d errors, attributes say %d and %d", failures, errors, s.Failures, s.Errors)
	}
}

func TestSARIFStructure(t *testing.T) {
	r := sampleReport(t)
	// Required by SARIF 2.1.0 or by code scanning; pointers tell missing from zero.
	var log struct {
		Schema  *string `json:"$schema"`
		Version *string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name           string `json:"name"`
					InformationURI string `json:"informationUri"`
					Rules          []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						DefaultConfiguration struct {
							Level string `json:"level"`
						} `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    *string `json:"ruleId"`
				RuleIndex *int    `json:"ruleIndex"`
				Level     string  `json:"level"`
				Message   struct {
					Text *string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI *string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, FormatSARIF, r), &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema == nil || *log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" ||
		log.Version == nil || *log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("$schema %v, version %v, %d runs", log.Schema, log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	driver := run.Tool.Driver
	if driver.Name != "trustctl" || !strings.HasPrefix(driver.InformationURI, "https://") {
		t.Errorf("driver %q, %q", driver.Name, driver.InformationURI)
	}
	levels := []string{"error", "warning", "note"}
	ids := map[string]int{}
	for i, rule := range driver.Rules {
		if !regexp.MustCompile(`^TRUSTCTL\d{3}$`).MatchString(rule.ID) || rule.ShortDescription.Text == "" ||
			!slices.Contains(levels, rule.DefaultConfiguration.Level) {
			t.Errorf("rule %d: %+v", i, rule)
		}
		if _, dup := ids[rule.ID]; dup {
			t.Errorf("rule %s listed twice", rule.ID)
		}
		ids[rule.ID] = i
	}

	wantRules := []string{"TRUSTCTL001", "TRUSTCTL002", "TRUSTCTL003", "TRUSTCTL004", "TRUSTCTL007",
		"TRUSTCTL009", "TRUSTCTL001", "TRUSTCTL006", "TRUSTCTL007", "TRUSTCTL005", "TRUSTCTL008", "TRUSTCTL005"}
	if len(run.Results) != len(wantRules) {
		t.Fatalf("%d results, want %d (passes are not results)", len(run.Results), len(wantRules))
	}
	fingerprints := map[string]bool{}
	for i, res := range run.Results {
		if res.RuleID == nil || *res.RuleID != wantRules[i] || res.RuleIndex == nil || ids[*res.RuleID] != *res.RuleIndex {
			t.Errorf("result %d: rule %v index %v, want %s", i, res.RuleID, res.RuleIndex, wantRules[i])
		}
		if !slices.Contains(levels, res.Level) || res.Message.Text == nil || *res.Message.Text == "" {
			t.Errorf("result %d: level %q, message %v", i, res.Level, res.Message.Text)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d has %d locations", i, len(res.Locations))
		}
		loc := res.Locations[0].PhysicalLocation
		if uri := loc.ArtifactLocation.URI; uri == nil || strings.ContainsAny(*uri, `\ `) || strings.HasPrefix(*uri, "/") {
			t.Errorf("result %d: uri %v", i, uri)
		}
		if loc.Region != nil && loc.Region.StartLine < 1 {
			t.Errorf("result %d: startLine %d", i, loc.Region.StartLine)
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if len(fp) != 64 || fingerprints[fp] {
			t.Errorf("result %d: fingerprint %q missing or repeated", i, fp)
		}
		fingerprints[fp] = true
	}
	// The cron service has no line: a location without region.
	if run.Results[9].Locations[0].PhysicalLocation.Region != nil {
		t.Error("a region for line 0")
	}

	clean := render(t, FormatSARIF, VerifyReport{Decisions: r.Decisions[:1], Now: now})
	if !bytes.Contains(clean, []byte(`"results": []`)) {
		t.Errorf("a clean run has no empty results array:\n%s", clean)
	}
}

func TestFingerprintStable(t *testing.T) {
	d := sampleReport(t).Decisions[1]
	moved := d
	moved.Source.Line, moved.Result, moved.Reason = 99, policy.TrustError, "other"
	moved.Source.File = "./" + d.Source.File
	if fingerprint(d) != fingerprint(moved) {
		t.Error("fingerprint depends on line, result or path spelling")
	}
	for _, other := range []policy.Source{{Service: "other", File: d.Source.File}, {Service: d.Source.Service, File: "other.yml"}} {
		o := d
		o.Source = other
		if fingerprint(o) == fingerprint(d) {
			t.Errorf("fingerprint ignores %+v", other)
		}
	}
	// Length prefixes keep parts apart.
	a, b := d, d
	a.Source.File, a.Source.Service = "ab", "c"
	b.Source.File, b.Source.Service = "a", "bc"
	if fingerprint(a) == fingerprint(b) {
		t.Error("parts run into each other")
	}
}

func TestArtifactURI(t *testing.T) {
	tests := map[string]string{
		"stack.yml":               "stack.yml",
		"./deploy/stack.yml":      "deploy/stack.yml",
		"a b/c#1?.yml":            "a%20b/c%231%3F.yml",
		"a:b.yml":                 "./a:b.yml",
		"../up.yml":               "../up.yml",
		"/srv/app/compose.yml":    "file:///srv/app/compose.yml",
		"dir, a: b/100% sure.yml": "./dir,%20a:%20b/100%25%20sure.yml", // a colon in the first segment would read as a scheme
	}
	for in, want := range tests {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// classifyPolicy yields every kind of finding from the policy's own reasons, so that a
// change of their wording that breaks classify fails here.
const classifyPolicy = `version: 1
trust:
  pins:
    - match: "registry.example.com/**"
      root_keys: ["` + "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" + `"]
  on_unpinned: deny
teams:
  qa: {roles: [targets/qa]}
  security: {roles: [targets/security]}
rules:
  - match: "registry.example.com/payments/**"
    require: {teams: [qa, security]}
  - match: "registry.example.com/legacy/*"
    require: deny
  - match: "registry.example.com/soft/*"
    require: signed
    mode: warn
  - match: "registry.example.com/open/*"
    require: none
default: {require: signed}
exceptions:
  - match: "registry.example.com/tools/debug:*"
    reason: "INC-4711 hotfix"
    expires: 2026-12-31
  - match: "registry.example.com/tools/old:*"
    reason: "INC-1"
    expires: 2026-01-31
`

func TestClassifyPolicyReasons(t *testing.T) {
	pol, err := policy.Parse("policy.yml", []byte(classifyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	release := func(tag, digest string) *policy.Target {
		return &policy.Target{Tag: tag, Digest: digest, Role: "targets/releases"}
	}
	role := func(name, digest string) policy.RoleSignature {
		return policy.RoleSignature{Role: name, Tag: "1", Digest: digest, Verified: true}
	}
	tests := []struct {
		name  string
		facts policy.Facts
		want  string // "" for no finding
	}{
		{"pass", policy.Facts{Release: release("1", digestA)}, ""},
		{"none", policy.Facts{}, ""},
		{"unsigned tag", policy.Facts{}, "TRUSTCTL001"},
		{"unsigned digest", policy.Facts{}, "TRUSTCTL001"},
		{"digest mismatch", policy.Facts{Release: release("1", digestA)}, "TRUSTCTL002"},
		{"team missing", policy.Facts{Release: release("1", digestA), Roles: []policy.RoleSignature{role("targets/qa", digestA)}}, "TRUSTCTL003"},
		{"team signed other", policy.Facts{Release: release("1", digestA),
			Roles: []policy.RoleSignature{role("targets/qa", digestA), role("targets/security", digestB)}}, "TRUSTCTL003"},
		{"trust missing", policy.Facts{Trust: &policy.TrustProblem{Kind: policy.TrustMissing, Reason: "no trust data"}}, "TRUSTCTL004"},
		{"denied", policy.Facts{}, "TRUSTCTL005"},
		{"expired exception, pass", policy.Facts{Release: release("1", digestA)}, "TRUSTCTL006"},
		{"expired exception, fail", policy.Facts{}, "TRUSTCTL001"},
		{"warn", policy.Facts{}, "TRUSTCTL007"},
		{"unpinned", policy.Facts{Release: release("1", digestA)}, "TRUSTCTL008"},
		{"exception", policy.Facts{}, "TRUSTCTL009"},
		{"shadowed", policy.Facts{Shadowed: &policy.Target{Tag: "2", Digest: digestB, Role: "targets/releases/ci"}}, "TRUSTCTL010"},
	}
	refs := map[string]string{
		"pass":                    "registry.example.com/app:1",
		"none":                    "registry.example.com/open/x:1",
		"unsigned tag":            "registry.example.com/app:2",
		"unsigned digest":         "registry.example.com/app@" + digestA,
		"digest mismatch":         "registry.example.com/app:1@" + digestB,
		"team missing":            "registry.example.com/payments/api:1",
		"team signed other":       "registry.example.com/payments/api:1",
		"trust missing":           "registry.example.com/app:1",
		"denied":                  "registry.example.com/legacy/cron:1",
		"expired exception, pass": "registry.example.com/tools/old:1",
		"expired exception, fail": "registry.example.com/tools/old:2",
		"warn":                    "registry.example.com/soft/x:1",
		"unpinned":                "quay.io/team/tool:1",
		"exception":               "registry.example.com/tools/debug:1",
		"shadowed":                "registry.example.com/app:2",
	}
	for _, tt := range tests {
		tt.facts.Image = image(t, refs[tt.name])
		d := pol.Evaluate(tt.facts, now)
		got := ""
		if i, ok := classify(d); ok {
			got = findingRules[i].ID
		}
		if got != tt.want {
			t.Errorf("%s: %s %q classified %q, want %q", tt.name, d.Result, d.Reason, got, tt.want)
		}
	}
}

func TestGitHubHostile(t *testing.T) {
	r := sampleReport(t)
	out := string(render(t, FormatGitHub, r))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want one per finding (12):\n%s", len(lines), out)
	}
	command := regexp.MustCompile(`^::(error|warning|notice) (file=[^:,]*,)?(line=[1-9][0-9]*,)?title=trustctl::(.*)$`)
	for i, line := range lines {
		m := command.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d is not one workflow command: %q", i+1, line)
			continue
		}
		if strings.ContainsRune(m[4], '\r') {
			t.Errorf("line %d: carriage return in message", i+1)
		}
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "::error file=dir%2C a%3A b/100%25 sure.yml,line=50,title=trustctl::") {
		t.Errorf("hostile file not escaped: %q", last)
	}
	msg := last[strings.Index(last, "::"+"service")+2:]
	if got, want := unescapeGitHub(msg), message(r.Decisions[len(r.Decisions)-1]); got != want {
		t.Errorf("message does not round-trip:\n got %q\nwant %q", got, want)
	}
}

// unescapeGitHub decodes as the Actions runner does.
func unescapeGitHub(s string) string {
	return strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",").Replace(s)
}

func FuzzGitHubEscape(f *testing.F) {
	for _, s := range []string{"", "a::b", "100%", "%0A", "%250A", "x\r\ny", "k=v,w:x", "\n::error::forged"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, prop := githubData.Replace(s), githubProperty.Replace(s)
		if strings.ContainsAny(data, "\r\n") {
			t.Errorf("message escape of %q keeps a line break: %q", s, data)
		}
		if strings.ContainsAny(prop, "\r\n:,") {
			t.Errorf("property escape of %q keeps a separator: %q", s, prop)
		}
		if got := unescapeGitHub(data); got != s {
			t.Errorf("message %q → %q → %q", s, data, got)
		}
		if got := unescapeGitHub(prop); got != s {
			t.Errorf("property %q → %q → %q", s, prop, got)
		}
	})
}

// TestFindingRulesComplete: every rule constant has its entry (a missing one leaves a
// hole that SARIF would index past), and a provider service is a note of its own.
func TestFindingRulesComplete(t *testing.T) {
	for i, fr := range findingRules {
		if fr.ID == "" {
			t.Errorf("finding rule %d has no entry", i)
		}
	}
	if len(findingRules) != ruleTagUnbound+1 {
		t.Errorf("%d finding rules, want %d", len(findingRules), ruleTagUnbound+1)
	}
	if i, ok := classify(policy.Decision{Result: policy.Pass, Code: policy.CodeProvider}); !ok || findingRules[i].ID != "TRUSTCTL011" {
		t.Errorf("provider service classified as %v, %v", i, ok)
	}
}

// A cosign signature naming another tag, or only the repository, is a finding of its
// own rule.
func TestClassifyCosignBinding(t *testing.T) {
	id := strings.Repeat("ab", 32)
	pol, err := policy.Parse("policy.yml", []byte("version: 1\ntrust: {sources: [cosign]}\nteams:\n  qa: {members: ["+id+"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for binding, want := range map[policy.Binding]string{policy.BindsOther: "TRUSTCTL012", policy.BindsRepository: "TRUSTCTL013", policy.BindsTag: ""} {
		f := policy.Facts{Image: image(t, "registry.example.com/app:1"), Cosign: policy.CosignFacts{TagDigest: digestA,
			Signatures: []policy.CosignSignature{{Digest: digestA, KeyIDs: []string{id}, Binding: binding, SignedFor: "registry.example.com/app:2"}}}}
		d := pol.Evaluate(f, now)
		got := ""
		if i, ok := classify(d); ok {
			got = findingRules[i].ID
		}
		if got != want {
			t.Errorf("binding %d: %s %q classified %q, want %q", binding, d.Result, d.Reason, got, want)
		}
	}
}
