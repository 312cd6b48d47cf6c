package stack

import (
	"errors"
	"io/fs"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/yamlerr"
)

// compose-go keeps no positions, so the files are parsed a second time as YAML nodes to
// point at the line that sets each service's image.

// maxDepth bounds the walks through aliases, merge keys, extends and include, which
// compose-go has already checked for cycles but the node walk must not trust.
const maxDepth = 32

// yamlFile is one parsed compose file.
type yamlFile struct {
	name string     // as shown in messages
	dir  string     // relative include and extends paths resolve against this
	root *yaml.Node // top-level mapping; nil for an empty file
}

// parseFile reads and parses one file; its errors are InputErrors naming the file and,
// for malformed YAML, the line.
func parseFile(name, dir string) (*yamlFile, error) {
	data, err := fsread.ReadFile(name, fsread.StackLimit)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &InputError{File: name, Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlerr.Locate(data, err)
		return nil, &InputError{File: name, Line: line, Err: errors.New(msg)}
	}
	// compose-go would spend minutes on an anchor that contains itself, an alias bomb
	// or a very wide mapping; they are turned away here first, in linear time.
	if err := checkGraph(&doc); err != nil {
		return nil, &InputError{File: name, Line: err.line, Err: err}
	}
	return &yamlFile{name: name, dir: dir, root: resolve(&doc)}, nil
}

// resolve follows aliases and unwraps the document node.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && depth < maxDepth; depth++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// lookup finds key in mapping m as YAML does: an explicit key first, then the merge
// keys (<<) in order. k is where the key is written, possibly inside an anchor.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	return lookupIn(m, key, map[*yaml.Node]bool{})
}

// lookupIn visits each mapping once: merge keys can reach the same anchor along many
// paths, and a walk without memory takes exponential time.
func lookupIn(m *yaml.Node, key string, seen map[*yaml.Node]bool) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || seen[m] {
		return nil, nil
	}
	seen[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		if kn.ShortTag() == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		if kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, vn
		}
	}
	for _, mv := range merges {
		mv = resolve(mv)
		if mv == nil {
			continue
		}
		sources := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, s := range sources {
			if k, v := lookupIn(s, key, seen); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// scalar is the value of a scalar node, or "" for anything else.
func scalar(n *yaml.Node) string {
	if n = resolve(n); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// service returns the key and value nodes of a service.
func (f *yamlFile) service(name string) (k, v *yaml.Node) {
	_, services := lookup(f.root, "services")
	return lookup(services, name)
}

// position is a place in a file.
type position struct {
	file string
	line int
}

// locator finds where services' images are written; it caches the files it parses
// while following include and extends.
type locator struct {
	files map[string]*yamlFile // by absolute path and base directory
	seen  map[visit]bool       // per locate: a diamond of includes is walked once
}

type visit struct {
	file    *yamlFile
	service string
}

func newLocator() *locator {
	return &locator{files: map[string]*yamlFile{}}
}

// locate finds the image line of a service of the given top-level files.
func (l *locator) locate(files []*yamlFile, name string) position {
	l.seen = map[visit]bool{}
	pos, _ := l.image(files, name, 0)
	return pos
}

func (l *locator) open(path, dir string) *yamlFile {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	key := abs + "\x00" + dir
	if f, ok := l.files[key]; ok {
		return f
	}
	// compose-go has read the file already; a file it accepted that yaml.v3 rejects
	// only costs the position.
	f, _ := parseFile(path, dir)
	l.files[key] = f
	return f
}

// image finds the line that sets the image of service name among files given in merge
// order: the last file that sets it directly, else the service its extends points to,
// else the files it includes. exact is false when only the service key was found.
func (l *locator) image(files []*yamlFile, name string, depth int) (pos position, exact bool) {
	if depth >= maxDepth {
		return position{}, false
	}
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if f == nil || l.seen[visit{f, name}] {
			continue
		}
		l.seen[visit{f, name}] = true
		k, v := f.service(name)
		if k == nil {
			continue
		}
		if pos.file == "" {
			pos = position{f.name, k.Line}
		}
		if ik, _ := lookup(v, "image"); ik != nil {
			return position{f.name, ik.Line}, true
		}
		// compose-go applies extends to each file before merging them, so the
		// extended service's image beats an image set in an earlier file.
		if _, ev := lookup(v, "extends"); ev != nil {
			if p, ok := l.extends(f, ev, depth); ok {
				return p, true
			}
		}
	}
	for i := len(files) - 1; i >= 0; i-- {
		if files[i] == nil {
			continue
		}
		for _, inc := range l.includes(files[i]) {
			p, ok := l.image(inc, name, depth+1)
			if ok {
				return p, true
			}
			if pos.file == "" {
				pos = p
			}
		}
	}
	return pos, false
}

// extends follows `extends: base` or `extends: {service: base, file: other.yml}`.
func (l *locator) extends(f *yamlFile, ext *yaml.Node, depth int) (position, bool) {
	var base, file string
	ext = resolve(ext)
	switch {
	case ext == nil:
		return position{}, false
	case ext.Kind == yaml.ScalarNode:
		base = ext.Value
	default:
		if _, v := lookup(ext, "service"); v != nil {
			base = scalar(v)
		}
		if _, v := lookup(ext, "file"); v != nil {
			file = scalar(v)
		}
	}
	target := f
	if file != "" {
		path := joinDir(f.dir, file)
		target = l.open(path, filepath.Dir(path))
	}
	return l.image([]*yamlFile{target}, base, depth+1)
}

// includes returns the file lists of a file's include entries: `- path` or
// `- {path: a | [a, b], project_directory: d}`.
func (l *locator) includes(f *yamlFile) [][]*yamlFile {
	_, inc := lookup(f.root, "include")
	inc = resolve(inc)
	if inc == nil || inc.Kind != yaml.SequenceNode {
		return nil
	}
	var out [][]*yamlFile
	for _, e := range inc.Content {
		var paths []string
		var projectDir string
		e = resolve(e)
		if e == nil {
			continue
		}
		if e.Kind == yaml.ScalarNode {
			paths = []string{e.Value}
		} else {
			_, p := lookup(e, "path")
			p = resolve(p)
			switch {
			case p == nil:
			case p.Kind == yaml.ScalarNode:
				paths = []string{p.Value}
			case p.Kind == yaml.SequenceNode:
				for _, s := range p.Content {
					paths = append(paths, scalar(s))
				}
			}
			if _, d := lookup(e, "project_directory"); d != nil {
				projectDir = scalar(d)
			}
		}
		if len(paths) == 0 {
			continue
		}
		dir := filepath.Dir(joinDir(f.dir, paths[0]))
		if projectDir != "" {
			dir = joinDir(f.dir, projectDir)
		}
		var files []*yamlFile
		for _, p := range paths {
			files = append(files, l.open(joinDir(f.dir, p), dir))
		}
		out = append(out, files)
	}
	return out
}

func joinDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
