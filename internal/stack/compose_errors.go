package stack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// compose-go reports problems as one string: the schema's "false schema", absolute
// paths, mapstructure's "decoding failed", and, when several keys are wrong, whichever
// one the validator met first in a map walk, which changes from run to run. located
// turns them into `file:line: what is wrong`, the same for the same input.

// located makes a compose-go error an InputError at the line it is about. An unset
// variable is named when the error has no place of its own or is at its line: it is
// the usual cause of errors such as `invalid spec: :/hostfs:ro`.
func located(err error, files []*yamlFile, unset []unsetVariable, choice modeChoice) error {
	var ie *InputError
	if errors.As(err, &ie) {
		copied := *ie
		ie = &copied
	} else {
		ie = describe(err, files)
	}
	for _, v := range unset {
		if ie.File == "" || ie.File == v.pos.file && ie.Line == v.pos.line {
			ie.File, ie.Line, ie.variable = v.pos.file, v.pos.line, v.name
			ie.Err = fmt.Errorf("%w; variable %s is not set: %s", ie.Err, v.name, choice.hint())
			break
		}
	}
	if ie.File == "" && len(files) == 1 {
		ie.File = files[0].name
	}
	return ie
}

var (
	// "validating /abs/compose.yml: services.web.imagez false schema"
	validatingPrefix = regexp.MustCompile(`^validating (.+?): `)
	// "error while interpolating services.web.ports.[].target: failed to cast …"
	interpolating = regexp.MustCompile(`^error while interpolating (\S+): (.*)$`)
	// mapstructure: "'services[web].healthcheck.interval' time: invalid duration …"
	decoding = regexp.MustCompile(`'([^'\s]+)' (.+)`)
	absPath  = regexp.MustCompile(`(^|[\s'"(])(/[^\s'":]+)`)
)

func describe(err error, files []*yamlFile) *InputError {
	var missing *template.MissingRequiredError
	if errors.As(err, &missing) {
		file, line := findVariable(files, missing.Variable)
		return &InputError{File: file, Line: line, Err: err}
	}
	msg := err.Error()
	if m := validatingPrefix.FindStringSubmatch(msg); m != nil {
		// compose-go validates the files merged so far as it adds each one, so the
		// problem is in the file it names (a given, included or extended one).
		validated := []*yamlFile{fileNamed(files, m[1])}
		if p, ok := schemaProblem(validated); ok {
			return p
		}
		msg = strings.TrimPrefix(msg, m[0])
		path, _, _ := strings.Cut(msg, " ")
		return problemAt(validated, strings.Split(path, "."), relativePaths(msg))
	}
	if m := interpolating.FindStringSubmatch(msg); m != nil {
		return problemAt(files, strings.Split(m[1], "."), m[1]+": "+relativePaths(m[2]))
	}
	if strings.HasPrefix(msg, "decoding failed") {
		var problems []*InputError
		for _, m := range decoding.FindAllStringSubmatch(msg, -1) {
			path := mapstructurePath(m[1])
			problems = append(problems, problemAt(files, path, strings.Join(path, ".")+": "+relativePaths(m[2])))
		}
		if p := first(files, problems); p != nil {
			return p
		}
	}
	return &InputError{Err: errors.New(relativePaths(msg))}
}

// fileNamed is the parsed file at path, given or not: compose-go names files by
// absolute path.
func fileNamed(files []*yamlFile, path string) *yamlFile {
	for _, f := range files {
		if abs, err := filepath.Abs(f.name); err == nil && abs == path {
			return f
		}
	}
	f, err := parseFile(path, filepath.Dir(path))
	if err != nil {
		return &yamlFile{name: path}
	}
	return f
}

// mapstructurePath splits "services[web].healthcheck.interval".
func mapstructurePath(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ".") {
		for part != "" {
			name, rest, ok := strings.Cut(part, "[")
			if name != "" {
				out = append(out, name)
			}
			if !ok {
				break
			}
			idx, after, _ := strings.Cut(rest, "]")
			out = append(out, idx)
			part = after
		}
	}
	return out
}

// problemAt locates a path of keys in the files, the last file that has it winning as
// in a merge; "[]" (an index compose-go does not give) stops at its list.
func problemAt(files []*yamlFile, path []string, msg string) *InputError {
	ie := &InputError{Err: errors.New(msg)}
	for i := len(files) - 1; i >= 0; i-- {
		if line, _ := nodeAt(files[i].root, path); line > 0 {
			ie.File, ie.Line = files[i].name, line
			break
		}
	}
	return ie
}

// nodeAt is the line and column of the deepest key or item of path found in n, 0
// when not even the first is.
func nodeAt(n *yaml.Node, path []string) (line, column int) {
	for _, key := range path {
		n = resolve(n)
		if n == nil || key == "[]" {
			return line, column
		}
		switch n.Kind {
		case yaml.MappingNode:
			k, v := lookup(n, key)
			if k == nil {
				return line, column
			}
			line, column, n = k.Line, k.Column, v
		case yaml.SequenceNode:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line, column
			}
			n = n.Content[i]
			line, column = n.Line, n.Column
		default:
			return line, column
		}
	}
	return line, column
}

// first is the problem met first reading the files in order, nil for none.
func first(files []*yamlFile, problems []*InputError) *InputError {
	rank := func(p *InputError) int {
		if i := slices.IndexFunc(files, func(f *yamlFile) bool { return f.name == p.File }); i >= 0 {
			return i
		}
		return len(files)
	}
	problems = slices.DeleteFunc(problems, func(p *InputError) bool { return p == nil })
	slices.SortStableFunc(problems, func(a, b *InputError) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Line, b.Line))
	})
	if len(problems) == 0 {
		return nil
	}
	return problems[0]
}

// relativePaths shows the absolute paths in a message relative to the working
// directory, as every other message names files.
func relativePaths(msg string) string {
	return absPath.ReplaceAllStringFunc(msg, func(m string) string {
		sub := absPath.FindStringSubmatch(m)
		return sub[1] + displayPath(sub[2])
	})
}

var composeSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.Schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("compose-spec.json", doc); err != nil {
		return nil, err
	}
	c.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return errors.New("expected string")
		}
		_, err := time.ParseDuration(s)
		return err
	}})
	return c.Compile("compose-spec.json")
})

// schemaProblem validates each file against the compose specification, in order, and
// returns the first file's problem: the most specific, as compose-go picks it, and of
// equally specific ones the first by position. A value still to be interpolated is not
// judged (compose-go judges it after interpolation).
func schemaProblem(files []*yamlFile) (*InputError, bool) {
	sch, err := composeSchema()
	if err != nil {
		return nil, false
	}
	for _, f := range files {
		instance, ok := jsonInstance(f.root)
		if !ok {
			continue
		}
		var verr *jsonschema.ValidationError
		if !errors.As(sch.Validate(instance), &verr) {
			continue
		}
		type leaf struct {
			err          *jsonschema.ValidationError
			path         []string
			line, column int
		}
		var leaves []leaf
		var collect func(e *jsonschema.ValidationError)
		collect = func(e *jsonschema.ValidationError) {
			if len(e.Causes) > 0 {
				for _, c := range e.Causes {
					collect(c)
				}
				return
			}
			if interpolated(instance, e.InstanceLocation) {
				return
			}
			path := e.InstanceLocation
			if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
				path = append(slices.Clone(path), slices.Min(ap.Properties))
			}
			line, column := nodeAt(f.root, path)
			leaves = append(leaves, leaf{e, path, line, column})
		}
		collect(verr)
		if len(leaves) == 0 {
			continue
		}
		best := slices.MinFunc(leaves, func(a, b leaf) int {
			return cmp.Or(-cmp.Compare(len(a.path), len(b.path)), cmp.Compare(a.line, b.line), cmp.Compare(a.column, b.column))
		})
		return &InputError{File: f.name, Line: best.line, Err: errors.New(schemaMessage(best.err, best.path))}, true
	}
	return nil, false
}

// schemaMessage words a schema error for people: an unknown key by its name rather
// than "false schema" or "additional properties … not allowed".
func schemaMessage(e *jsonschema.ValidationError, path []string) string {
	where := strings.Join(path, ".")
	switch k := e.ErrorKind.(type) {
	case *kind.FalseSchema, *kind.AdditionalProperties:
		parent := strings.Join(path[:len(path)-1], ".")
		if parent == "" {
			return fmt.Sprintf("unknown top-level key %q (compose specification)", path[len(path)-1])
		}
		return fmt.Sprintf("%s: unknown key %q (compose specification)", parent, path[len(path)-1])
	case *kind.Type:
		return fmt.Sprintf("%s must be %s", where, typeNames(k.Want))
	}
	return where + ": " + e.ErrorKind.LocalizedString(message.NewPrinter(language.English))
}

// jsonInstance is a file's content as the JSON values the validator takes.
func jsonInstance(root *yaml.Node) (any, bool) {
	if root == nil {
		return nil, false
	}
	var v any
	if err := root.Decode(&v); err != nil {
		return nil, false
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	return instance, err == nil
}

// interpolated tells whether the value at path holds a variable: compose-go
// validates it only once substituted and cast.
func interpolated(instance any, path []string) bool {
	v := instance
	for _, key := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			v = c[i]
		default:
			return false
		}
	}
	s, ok := v.(string)
	return ok && strings.Contains(s, "$")
}

// typeNames words JSON types as compose users know them: "a mapping or a list".
func typeNames(want []string) string {
	names := make([]string, len(want))
	for i, w := range want {
		switch w {
		case "object":
			w = "mapping"
		case "array":
			w = "list"
		}
		article := "a "
		switch {
		case w == "null":
			article = ""
		case w != "" && strings.ContainsRune("aeiou", rune(w[0])):
			article = "an "
		}
		names[i] = article + w
	}
	slices.Sort(names)
	return strings.Join(names, " or ")
}
