package stack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v3"

	"github.com/trustctl/trustctl/internal/fsread"
)

// fileRef is a local file a compose file names: an extends.file, an include path or
// an include's env_file.
type fileRef struct {
	what, path string
	line       int
	env        bool // an env file: read whole, not parsed as YAML
}

// refChecker reads, with the checks of parseFile, every local file the given files
// reach through extends and include, before compose-go reads them whole with
// os.ReadFile: a FIFO there would block it and /dev/zero exhaust its memory. Paths are
// interpolated from compose-go's own environment; compose-go reports a file that does
// not exist.
type refChecker struct {
	wd   string
	env  map[string]string
	seen map[string]bool
}

func checkReferences(files []*yamlFile, wd string, env map[string]string) error {
	c := &refChecker{wd: wd, env: env, seen: map[string]bool{}}
	for _, f := range files {
		if err := c.file(f, 0); err != nil {
			return err
		}
	}
	return nil
}

func (c *refChecker) file(f *yamlFile, depth int) error {
	if f == nil || depth >= maxDepth {
		return nil
	}
	for _, ref := range references(f) {
		p, err := template.Substitute(ref.path, func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if err != nil || p == "" {
			continue
		}
		// compose-go resolves against the project directory at the top and the
		// file's own folder below it; both are checked.
		for _, path := range []string{joinDir(f.dir, p), joinDir(c.wd, p)} {
			if c.seen[path] {
				continue
			}
			c.seen[path] = true
			if _, err := os.Lstat(path); err != nil {
				continue
			}
			if _, err := fsread.ReadFile(path, fsread.StackLimit); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return &InputError{File: f.name, Line: ref.line, Err: fmt.Errorf("%s %s: %w", ref.what, p, err)}
			}
			if ref.env {
				continue
			}
			next, err := parseFile(path, filepath.Dir(path))
			if err != nil {
				return err
			}
			if err := c.file(next, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// references lists the extends files of a file's services and its include entries.
func references(f *yamlFile) []fileRef {
	var out []fileRef
	add := func(what string, n *yaml.Node, env bool) {
		n = resolve(n)
		switch {
		case n == nil:
		case n.Kind == yaml.ScalarNode:
			out = append(out, fileRef{what: what, path: n.Value, line: n.Line, env: env})
		case n.Kind == yaml.SequenceNode:
			for _, e := range n.Content {
				if e = resolve(e); e != nil && e.Kind == yaml.ScalarNode {
					out = append(out, fileRef{what: what, path: e.Value, line: e.Line, env: env})
				}
			}
		}
	}
	_, services := lookup(f.root, "services")
	if services = resolve(services); services != nil && services.Kind == yaml.MappingNode {
		for i := 1; i < len(services.Content); i += 2 {
			_, ext := lookup(services.Content[i], "extends")
			if ext = resolve(ext); ext != nil && ext.Kind == yaml.MappingNode {
				_, file := lookup(ext, "file")
				add("extends.file", file, false)
			}
		}
	}
	_, inc := lookup(f.root, "include")
	if inc = resolve(inc); inc != nil && inc.Kind == yaml.SequenceNode {
		for _, e := range inc.Content {
			if e = resolve(e); e == nil {
				continue
			}
			if e.Kind != yaml.MappingNode {
				add("include", e, false)
				continue
			}
			_, p := lookup(e, "path")
			add("include", p, false)
			_, env := lookup(e, "env_file")
			add("include env_file", env, true)
		}
	}
	return out
}
