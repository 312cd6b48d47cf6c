package policy

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// NewPin is a trust.pins entry to add: a repository and its root certificate IDs.
type NewPin struct {
	Repository string
	RootKeys   []string
}

// AddPins adds entries to trust.pins of the policy file data, editing the text in place
// so that comments and layout stay as they are: block lists get new items at their end
// in their indentation, flow collections are rewritten where they stand, and a missing
// trust or pins section is added. The result is parsed again by the caller.
func AddPins(data []byte, pins []NewPin) ([]byte, error) {
	if len(pins) == 0 {
		return data, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	e := &pinEditor{lines: splitLines(data), pins: pins}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the policy is not a mapping")
	}
	top := doc.Content[0]
	if top.Style&yaml.FlowStyle != 0 {
		return nil, errors.New("a policy written as one flow mapping cannot be edited in place")
	}
	bound := len(e.lines) + 1
	trustKey, trust, trustEnd := findKey(top, "trust", bound)
	switch {
	case trust == nil:
		e.insert(e.lastContent(bound), append([]string{"trust:", "  pins:"}, e.items(4)...))
	case trust.Style&yaml.FlowStyle != 0:
		if err := e.rewriteFlow(trust, func(n *yaml.Node) { appendPins(n, pins) }); err != nil {
			return nil, err
		}
	case trust.Kind == yaml.MappingNode:
		pinsKey, list, pinsEnd := findKey(trust, "pins", trustEnd)
		keyIndent := trustKey.Column + 1
		if len(trust.Content) > 0 {
			keyIndent = trust.Content[0].Column - 1
		}
		switch {
		case pinsKey == nil:
			lines := append([]string{strings.Repeat(" ", keyIndent) + "pins:"}, e.items(keyIndent+2)...)
			e.insert(e.lastContent(trustEnd), lines)
		case list.Style&yaml.FlowStyle != 0:
			if err := e.rewriteFlow(list, func(n *yaml.Node) { n.Content = append(n.Content, pinNodes(pins)...) }); err != nil {
				return nil, err
			}
		case list.Kind == yaml.SequenceNode && len(list.Content) > 0:
			dash := leadingSpaces(e.lines[list.Content[0].Line-1])
			e.insert(e.lastContent(pinsEnd), e.items(dash))
		case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
			e.insert(pinsKey.Line, e.items(keyIndent+2))
		default:
			return nil, fmt.Errorf("line %d: trust.pins must be a list", pinsKey.Line)
		}
	case trust.Kind == yaml.ScalarNode && trust.Tag == "!!null":
		e.insert(trustKey.Line, append([]string{"  pins:"}, e.items(4)...))
	default:
		return nil, fmt.Errorf("line %d: trust must be a mapping", trustKey.Line)
	}
	return e.bytes(), nil
}

// pinEditor inserts and replaces lines of the policy text. Edits go from the end of the
// file to its start, so that earlier line numbers stay valid; each edit here is one.
type pinEditor struct {
	lines []string
	pins  []NewPin
}

// items are the block list items of the pins, the dash at column indent.
func (e *pinEditor) items(indent int) []string {
	pad := strings.Repeat(" ", indent)
	var out []string
	for _, p := range e.pins {
		out = append(out, pad+"- match: "+quoteIfNeeded(p.Repository))
		out = append(out, pad+"  root_keys: ["+strings.Join(p.RootKeys, ", ")+"]")
	}
	return out
}

// insert puts lines after line after (1-based; 0 = at the start).
func (e *pinEditor) insert(after int, lines []string) {
	rest := append([]string(nil), e.lines[after:]...)
	e.lines = append(append(e.lines[:after], lines...), rest...)
}

// lastContent is the last line before bound that is neither blank nor a comment: the
// end of the block that bound follows. Comments above the next key stay with it.
func (e *pinEditor) lastContent(bound int) int {
	for l := min(bound-1, len(e.lines)); l > 0; l-- {
		s := strings.TrimSpace(e.lines[l-1])
		if s != "" && !strings.HasPrefix(s, "#") {
			return l
		}
	}
	return 0
}

// rewriteFlow replaces a flow collection that starts and ends on one line by its
// re-encoding after edit.
func (e *pinEditor) rewriteFlow(n *yaml.Node, edit func(*yaml.Node)) error {
	line := e.lines[n.Line-1]
	start := n.Column - 1
	end := flowEnd(line, start)
	if end < 0 {
		return fmt.Errorf("line %d: a flow collection over several lines cannot be edited in place; write it as a block", n.Line)
	}
	edit(n)
	setFlow(n)
	out, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	e.lines[n.Line-1] = line[:start] + strings.TrimSpace(string(out)) + line[end:]
	return nil
}

func (e *pinEditor) bytes() []byte {
	return []byte(strings.Join(e.lines, "\n"))
}

// splitLines keeps a final newline as a last empty line, so that joining restores it.
func splitLines(data []byte) []string {
	return strings.Split(string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), "\n")
}

// findKey finds key in mapping m: its key and value nodes, and the line its value's block
// ends before (the next key's line, else bound).
func findKey(m *yaml.Node, key string, bound int) (k, v *yaml.Node, end int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		end = bound
		if i+2 < len(m.Content) {
			end = m.Content[i+2].Line
		}
		return m.Content[i], m.Content[i+1], end
	}
	return nil, nil, bound
}

func appendPins(trust *yaml.Node, pins []NewPin) {
	for i := 0; i+1 < len(trust.Content); i += 2 {
		if trust.Content[i].Value == "pins" {
			trust.Content[i+1].Kind, trust.Content[i+1].Tag = yaml.SequenceNode, "!!seq"
			trust.Content[i+1].Content = append(trust.Content[i+1].Content, pinNodes(pins)...)
			return
		}
	}
	trust.Content = append(trust.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "pins"},
		&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: pinNodes(pins)})
}

func pinNodes(pins []NewPin) []*yaml.Node {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	var out []*yaml.Node
	for _, p := range pins {
		keys := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, id := range p.RootKeys {
			keys.Content = append(keys.Content, str(id))
		}
		out = append(out, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
			Content: []*yaml.Node{str("match"), str(p.Repository), str("root_keys"), keys}})
	}
	return out
}

// setFlow makes n one flow collection; its comments stay in the text around it.
func setFlow(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style |= yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}

// flowEnd is the index after the bracket closing the collection opened at start of
// line, -1 when it does not close on the line. Quoted strings are skipped.
func flowEnd(line string, start int) int {
	depth := 0
	for i := start; i < len(line); i++ {
		switch c := line[i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"', '\'':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return -1
			}
			i += j + 1
		}
	}
	return -1
}

func leadingSpaces(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// quoteIfNeeded quotes a repository that YAML would not read back as the same string.
func quoteIfNeeded(s string) string {
	var back map[string]string
	if yaml.Unmarshal([]byte("x: "+s), &back) == nil && back["x"] == s {
		return s
	}
	return fmt.Sprintf("%q", s)
}
