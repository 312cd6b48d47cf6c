package tuf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MinKeyIDPrefix is the shortest key ID prefix accepted for a key the user already
// holds or names in a repository: the 12 characters `inspect` and docker show.
const MinKeyIDPrefix = 12

// Errors of ResolveKeyID.
var (
	ErrKeyIDTooShort  = errors.New("key ID prefix too short")
	ErrAmbiguousKeyID = errors.New("ambiguous key ID")
)

// ResolveKeyID returns the ID of ids that given names: given itself, or the one ID it
// is a prefix of, when given has at least MinKeyIDPrefix hex characters. It returns ""
// when nothing matches; a shorter prefix, or one shared by several IDs, is an error
// listing them. Pins never go through it: a prefix there would let an attacker grind a
// key that matches.
func ResolveKeyID(given string, ids []string) (string, error) {
	if slices.Contains(ids, given) {
		return given, nil
	}
	var matches []string
	for _, id := range ids {
		if given != "" && strings.HasPrefix(id, given) && !slices.Contains(matches, id) {
			matches = append(matches, id)
		}
	}
	slices.Sort(matches)
	switch {
	case len(matches) == 0:
		return "", nil
	case len(given) < MinKeyIDPrefix || strings.Trim(given, "0123456789abcdef") != "":
		return "", fmt.Errorf("%w: %s: give at least %d hex characters of the key ID", ErrKeyIDTooShort, given, MinKeyIDPrefix)
	case len(matches) > 1:
		return "", fmt.Errorf("%w: %s is the start of %s", ErrAmbiguousKeyID, given, strings.Join(matches, ", "))
	}
	return matches[0], nil
}
