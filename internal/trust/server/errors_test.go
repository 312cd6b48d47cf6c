package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/trustctl/trustctl/internal/testenv"
)

func fixtureErrors() string { return filepath.Join(testenv.Fixtures(), "errors") }

func fixtureWire() string { return filepath.Join(testenv.Fixtures(), "experiments", "wire") }

// TestParseErrorFixtures reads the error bodies notary-server v0.7.0 returned.
func TestParseErrorFixtures(t *testing.T) {
	for file, want := range map[string]struct {
		status int
		text   string
		is     error
	}{
		"get-unknown-gun":            {404, "METADATA_NOT_FOUND: You have requested metadata that does not exist", ErrNotFound},
		"get-unknown-path":           {404, "METADATA_NOT_FOUND: You have requested metadata that does not exist", ErrNotFound},
		"post-bad-signature":         {400, "INVALID_UPDATE: Update sent by the client is invalid: ErrBadTargets: valid signatures did not meet threshold for targets", nil},
		"post-new-gun-without-root":  {400, "INVALID_UPDATE: Update sent by the client is invalid: ErrValidation: no pre-existing root and no root provided in update.", nil},
		"post-root-wrong-version":    {400, "INVALID_UPDATE: Update sent by the client is invalid: ErrBadRoot: Root modifications must increment the version. Current 2, new 1", nil},
		"post-current-targets-again": {400, "VERSION: A newer version of metadata is already available (the uploaded version is not newer than the stored one)", nil},
		"post-invalid-role":          {400, `INVALID_ROLE: The role you are attempting to operate on is invalid: "foo"`, nil},
		"post-not-multipart":         {400, "MALFORMED_UPLOAD: The body of your request is malformed", nil},
	} {
		body, err := os.ReadFile(filepath.Join(fixtureErrors(), file+".body"))
		if err != nil {
			t.Fatal(err)
		}
		e := ParseError(want.status, body)
		if e.Error() != want.text {
			t.Errorf("%s:\n got %s\nwant %s", file, e.Error(), want.text)
		}
		for _, s := range []error{ErrNotFound, ErrUnauthorized, ErrServerUnavailable} {
			if errors.Is(e, s) != (s == want.is) {
				t.Errorf("%s: errors.Is(%v) = %v", file, s, !(s == want.is))
			}
		}
	}
}

func TestParseErrorOther(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{502, "<html>\n<h1>Bad Gateway</h1>", "HTTP 502 Bad Gateway: <html>"},
		{500, "", "HTTP 500 Internal Server Error"},
		{403, `{"errors":[]}`, `HTTP 403 Forbidden: {"errors":[]}`},
		{400, `{"errors":[{"code":"X","message":"a\u001b[31mred\nline","detail":{"Name":"N","Error":{"Msg":"m\r"}}}]}`, "X: a [31mred line: N: m"},
		{400, `{"errors":[{"code":"INVALID_UPDATE","message":"m.","detail":{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot"}}}]}`, "INVALID_UPDATE: m: ErrBadHierarchy: no snapshot"},
		{400, `{"errors":[{"code":"C","detail":{"Name":"OnlyName"}}]}`, "C: OnlyName"},
		{401, "\xff\xfe", "HTTP 401 Unauthorized: \uFFFD"},
	} {
		if got := ParseError(c.status, []byte(c.body)).Error(); got != c.want {
			t.Errorf("%d %q:\n got %q\nwant %q", c.status, c.body, got, c.want)
		}
	}
	long := ParseError(500, []byte(strings.Repeat("é", 1000))).Message
	if n := len([]rune(long)); n != 201 {
		t.Errorf("message of %d runes not bounded", n)
	}
}

func FuzzParseError(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureErrors(), "*.body"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(400, b)
	}
	f.Add(502, []byte("<html>\x1b]0;title\x07"))
	f.Add(404, []byte(`{"errors":[{"code":"\u202e","detail":"targets\nx"}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := ParseError(status, body)
		s := e.Error()
		if s == "" || e.Status != status {
			t.Fatalf("ParseError(%d, %q) = %#v", status, body, e)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
			t.Fatalf("message has control characters: %q", s)
		}
		if errors.Is(e, ErrNotFound) != (status == 404) || errors.Is(e, ErrServerUnavailable) != (status >= 500) {
			t.Fatalf("classification of %d", status)
		}
		if invalidRoleHint(e, []string{"targets/releases"}) != "" && e.Code != "INVALID_ROLE" {
			t.Fatal("hint without INVALID_ROLE")
		}
	})
}
