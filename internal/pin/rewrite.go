package pin

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/distribution/reference"
	"go.yaml.in/yaml/v3"
)

// Skipped is an image Rewrite left as it was, and why.
type Skipped struct {
	Service string
	Line    int
	Reason  string
}

// Rewrite pins the image: scalars of one compose file in place. pins maps a service
// name to the digest ("sha256:…") its image passed with. Only the bytes of those
// scalars change: comments, anchors, order, quoting and every other byte stay. An image
// written with interpolation, taken from another file, or in a form that cannot be
// rewritten byte-exactly is skipped and named.
func Rewrite(data []byte, pins map[string]string) ([]byte, []Skipped, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 {
		return data, nil, nil
	}
	services := mapValue(doc.Content[0], "services")
	lines := lineOffsets(data)
	type edit struct {
		start, end int
		text       string
		services   []string
	}
	edits := map[*yaml.Node]*edit{}
	var skipped []Skipped
	for _, name := range slices.Sorted(maps.Keys(pins)) {
		node := imageNode(services, mapValue(services, name), map[*yaml.Node]bool{})
		skip := func(line int, why string) { skipped = append(skipped, Skipped{Service: name, Line: line, Reason: why}) }
		if node == nil {
			skip(0, "its image is not written in this file (extends another file?): pin it with verify --pin-file")
			continue
		}
		if strings.Contains(node.Value, "$") {
			skip(node.Line, fmt.Sprintf("image %q is interpolated: pin it with verify --pin-file", node.Value))
			continue
		}
		start, end, err := scalarSpan(data, lines, node)
		if err != nil {
			skip(node.Line, err.Error())
			continue
		}
		text, err := pinnedText(data[start:end], node, pins[name])
		if err != nil {
			skip(node.Line, err.Error())
			continue
		}
		if e, ok := edits[node]; ok {
			if e.text != text {
				skip(node.Line, fmt.Sprintf("its image is shared (an anchor) with %s, which passed with another digest", strings.Join(e.services, ", ")))
				continue
			}
			e.services = append(e.services, name)
			continue
		}
		edits[node] = &edit{start: start, end: end, text: text, services: []string{name}}
	}
	ordered := make([]*edit, 0, len(edits))
	for _, e := range edits {
		ordered = append(ordered, e)
	}
	// applied from the end, so that earlier offsets stay valid
	slices.SortFunc(ordered, func(a, b *edit) int { return b.start - a.start })
	out := bytes.Clone(data)
	for _, e := range ordered {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out, skipped, nil
}

// mapValue is the value of key in mapping m, through an alias; nil when absent.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Tag != "!!merge" {
			return m.Content[i+1]
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// imageNode is the scalar a service takes its image from: its own image: key, else the
// first merge (<<) that has one, as YAML merge keys give precedence, else the service
// it extends in the same file.
func imageNode(services, svc *yaml.Node, seen map[*yaml.Node]bool) *yaml.Node {
	svc = deref(svc)
	if svc == nil || svc.Kind != yaml.MappingNode || seen[svc] {
		return nil
	}
	seen[svc] = true
	if v := mapValue(svc, "image"); v != nil {
		if v.Kind == yaml.AliasNode {
			return deref(v)
		}
		return v
	}
	for i := 0; i+1 < len(svc.Content); i += 2 {
		if svc.Content[i].Tag != "!!merge" {
			continue
		}
		merged := deref(svc.Content[i+1])
		candidates := []*yaml.Node{merged}
		if merged != nil && merged.Kind == yaml.SequenceNode {
			candidates = merged.Content
		}
		for _, c := range candidates {
			if n := imageNode(services, c, seen); n != nil {
				return n
			}
		}
	}
	ext := deref(mapValue(svc, "extends"))
	switch {
	case ext == nil:
		return nil
	case ext.Kind == yaml.ScalarNode:
		return imageNode(services, mapValue(services, ext.Value), seen)
	case mapValue(ext, "file") == nil:
		if base := deref(mapValue(ext, "service")); base != nil && base.Kind == yaml.ScalarNode {
			return imageNode(services, mapValue(services, base.Value), seen)
		}
	}
	return nil // extends another file
}

// lineOffsets are the byte offsets where each line starts.
func lineOffsets(data []byte) []int {
	offs := []int{0}
	for i, b := range data {
		if b == '\n' {
			offs = append(offs, i+1)
		}
	}
	return offs
}

// scalarSpan finds the bytes of a one-line scalar in the source: the parser gives its
// line and column (in characters); its end follows from its style. The span must
// decode to the node's value, or it is not rewritten.
func scalarSpan(data []byte, lines []int, n *yaml.Node) (int, int, error) {
	if n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(lines) {
		return 0, 0, errors.New("its image is not a scalar")
	}
	start := lines[n.Line-1]
	for col := 1; col < n.Column; col++ {
		if start >= len(data) {
			return 0, 0, errors.New("its image's position is outside the file")
		}
		_, size := utf8.DecodeRune(data[start:])
		start += size
	}
	lineEnd := len(data)
	if n.Line < len(lines) {
		lineEnd = lines[n.Line] - 1
	}
	rest := data[start:lineEnd]
	var end int
	switch n.Style {
	case 0:
		// a plain scalar ends at a comment, or in a flow collection at , ] or }; an
		// image reference holds none of them
		end = len(rest)
		if i := bytes.Index(rest, []byte(" #")); i >= 0 {
			end = i
		}
		if i := bytes.IndexAny(rest[:end], ",]}"); i >= 0 {
			end = i
		}
		end = len(bytes.TrimRight(rest[:end], " \t\r"))
	case yaml.SingleQuotedStyle:
		end = closingQuote(rest, '\'')
	case yaml.DoubleQuotedStyle:
		end = closingQuote(rest, '"')
	default:
		return 0, 0, errors.New("its image is a block scalar: pin it with verify --pin-file")
	}
	if end <= 0 {
		return 0, 0, errors.New("its image spans several lines: pin it with verify --pin-file")
	}
	var decoded string
	if err := yaml.Unmarshal(rest[:end], &decoded); err != nil || decoded != n.Value {
		return 0, 0, errors.New("its image's text could not be located exactly: pin it with verify --pin-file")
	}
	return start, start + end, nil
}

// closingQuote is the length of a quoted scalar starting at b[0], through its closing
// quote; 0 when it does not close on this line.
func closingQuote(b []byte, q byte) int {
	for i := 1; i < len(b); i++ {
		switch {
		case q == '"' && b[i] == '\\':
			i++
		case b[i] == q && q == '\'' && i+1 < len(b) && b[i+1] == '\'':
			i++
		case b[i] == q:
			return i + 1
		}
	}
	return 0
}

// pinnedText is the new text of the scalar: the image as written, with the digest it
// passed with, in the same quoting.
func pinnedText(raw []byte, n *yaml.Node, digest string) (string, error) {
	ref, err := pinnedSpelling(n.Value, digest)
	if err != nil {
		return "", err
	}
	switch n.Style {
	case yaml.SingleQuotedStyle:
		return "'" + ref + "'", nil
	case yaml.DoubleQuotedStyle:
		return `"` + ref + `"`, nil
	}
	return ref, nil
}

// pinnedSpelling keeps the image as written (nginx stays nginx, not
// docker.io/library/nginx) and sets its digest; an image without a tag gets the
// :latest docker pulled.
func pinnedSpelling(image, digest string) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", image, err)
	}
	written, _, _ := strings.Cut(image, "@")
	if _, tagged := named.(reference.Tagged); !tagged {
		if _, digested := named.(reference.Digested); !digested {
			written += ":latest"
		}
	}
	return written + "@" + digest, nil
}
