package registry

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxText bounds each piece of server text copied into an error message.
const maxText = 200

// Clean makes server text safe for a one-line message: control characters (newlines,
// terminal escapes, bidi overrides) become spaces, invalid UTF-8 is replaced and the
// length is bounded.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxText {
		s = string([]rune(s)[:maxText]) + "…"
	}
	return s
}
