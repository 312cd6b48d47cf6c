package registry

import "strings"

// Challenge is one WWW-Authenticate challenge; Scheme is lower case, so are the
// parameter names.
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenges reads WWW-Authenticate headers (RFC 7235: several challenges per
// header, auth-params with token or quoted-string values).
func ParseChallenges(headers []string) []Challenge {
	var out []Challenge
	for _, s := range headers {
		for {
			s = strings.TrimLeft(s, " \t,")
			scheme, rest := httpToken(s)
			if scheme == "" {
				break
			}
			c := Challenge{Scheme: strings.ToLower(scheme), Params: map[string]string{}}
			s = rest
			for {
				p := strings.TrimLeft(s, " \t,")
				key, after := httpToken(p)
				after = strings.TrimLeft(after, " \t")
				if key == "" || !strings.HasPrefix(after, "=") {
					// Not a parameter: the next challenge (or junk) starts here.
					s = p
					break
				}
				var val string
				val, s = httpValue(strings.TrimLeft(after[1:], " \t"))
				c.Params[strings.ToLower(key)] = val
			}
			out = append(out, c)
		}
	}
	return out
}

func httpToken(s string) (tok, rest string) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	})
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// httpValue reads a quoted-string, or an unquoted value up to the next comma or space
// (more lenient than RFC 7235's token: some servers send unquoted URLs).
func httpValue(s string) (val, rest string) {
	if !strings.HasPrefix(s, `"`) {
		if i := strings.IndexAny(s, ", \t"); i >= 0 {
			return s[:i], s[i:]
		}
		return s, ""
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// PickChallenge prefers bearer (token auth) to basic, ignoring the schemes registries
// and notary do not use.
func PickChallenge(cs []Challenge) *Challenge {
	var basic *Challenge
	for i := range cs {
		switch cs[i].Scheme {
		case "bearer":
			return &cs[i]
		case "basic":
			if basic == nil {
				basic = &cs[i]
			}
		}
	}
	return basic
}
