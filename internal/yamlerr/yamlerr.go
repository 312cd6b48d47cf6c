// Package yamlerr turns yaml.v3's syntax errors into a line and a message for
// `file:line: problem` errors.
package yamlerr

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var lineMessage = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxSearchLines and maxSearchBytes bound the quadratic search of Locate (it parses
// every prefix of the file); larger files keep yaml.v3's line.
const (
	maxSearchLines = 2000
	maxSearchBytes = 16 << 20 // bytes parsed in all
)

// Locate returns the line of a syntax error yaml.v3 reported for data (0 when it gave
// none) and its message without the "yaml: line N:" prefix. yaml.v3 reports the line
// where the enclosing block starts; the line returned is the first whose prefix of the
// file fails with the same message, which is where the problem is.
func Locate(data []byte, err error) (line int, msg string) {
	line, msg = split(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxSearchLines || len(lines)*len(data) > maxSearchBytes {
		return line, msg
	}
	var prefix []byte
	for i := range lines[:len(lines)-1] {
		prefix = append(prefix, lines[i]...)
		var doc yaml.Node
		if err := yaml.Unmarshal(prefix, &doc); err != nil {
			if _, m := split(err); m == msg {
				return i + 1, msg
			}
		}
	}
	return line, msg
}

// split separates "yaml: line N: problem".
func split(err error) (line int, msg string) {
	m := lineMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	line, _ = strconv.Atoi(m[1])
	return line, m[2]
}
