package stack

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Bounds of a stack file's YAML graph, checked in linear time before compose-go sees
// the file. compose-go decodes with yaml's duplicate-key check, which compares every
// pair of keys of a mapping, and expands every alias: a 2 MB file of one wide mapping,
// or a few nested aliases, would keep it busy for minutes. Real compose files stay far
// below these numbers.
const (
	// maxNodes caps the nodes of a file as written (compose-go itself refuses a
	// document of more than 100,000 visits).
	maxNodes = 200_000
	// maxMappingKeys caps one mapping, which bounds the pairwise key check.
	maxMappingKeys = 5_000
	// maxExpandedNodes caps the nodes of a file with every alias expanded.
	maxExpandedNodes = 1_000_000
)

// graphCheck walks a parsed document once. It refuses what yaml's own decoder
// refuses (an anchor that contains itself, duplicate keys) and what would make the
// compose loader super-linear, each with the line it is at.
type graphCheck struct {
	nodes    int
	expanded map[*yaml.Node]int // expanded size of each node visited; -1 while on the path
}

// lineError is a problem at a line of the file being checked.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

func checkGraph(doc *yaml.Node) *lineError {
	c := &graphCheck{expanded: map[*yaml.Node]int{}}
	_, err := c.size(doc)
	return err
}

// size is the number of nodes under n with aliases expanded, saturated just above
// maxExpandedNodes; each node is walked once, so the check is linear.
func (c *graphCheck) size(n *yaml.Node) (int, *lineError) {
	if n == nil {
		return 0, nil
	}
	if s, seen := c.expanded[n]; seen {
		return s, nil
	}
	c.expanded[n] = -1
	c.nodes++
	if c.nodes > maxNodes {
		return 0, &lineError{n.Line, fmt.Sprintf("more than %d YAML nodes", maxNodes)}
	}
	total := 1
	if n.Kind == yaml.AliasNode {
		if c.expanded[n.Alias] < 0 {
			return 0, &lineError{n.Line, fmt.Sprintf("anchor '%s' value contains itself", n.Value)}
		}
		s, err := c.size(n.Alias)
		if err != nil {
			return 0, err
		}
		total += s
	}
	if n.Kind == yaml.MappingNode {
		if len(n.Content) > 2*maxMappingKeys {
			return 0, &lineError{n.Line, fmt.Sprintf("a mapping of more than %d keys", maxMappingKeys)}
		}
		if err := uniqueKeys(n); err != nil {
			return 0, err
		}
	}
	for _, child := range n.Content {
		s, err := c.size(child)
		if err != nil {
			return 0, err
		}
		total += s
	}
	if total > maxExpandedNodes {
		return 0, &lineError{n.Line, fmt.Sprintf("aliases expand to more than %d nodes", maxExpandedNodes)}
	}
	c.expanded[n] = total
	return total, nil
}

// uniqueKeys refuses a key written twice in a mapping, as yaml's decoder does, with a
// map instead of its pairwise comparison.
func uniqueKeys(m *yaml.Node) *lineError {
	type key struct {
		kind  yaml.Kind
		value string
	}
	first := make(map[key]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		id := key{k.Kind, k.Value}
		if line, dup := first[id]; dup {
			return &lineError{k.Line, fmt.Sprintf("mapping key %q already defined at line %d", k.Value, line)}
		}
		first[id] = k.Line
	}
	return nil
}
