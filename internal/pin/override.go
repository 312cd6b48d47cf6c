package pin

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustctl/trustctl/internal/policy"
)

// FileMode is the mode of a pin file: it holds no secret, and the deploy step may run
// as another user than the gate.
const FileMode = 0o644

// Override is what a compose override file pinning a verdict says.
type Override struct {
	// Decisions are the gate's, one per image use, in its order.
	Decisions []policy.Decision
	// Version is the `version:` of the files it overrides ("" when they have none):
	// docker stack deploy refuses to merge files whose versions differ, and a file
	// without one counts as the newest.
	Version string
	Policy  string
	Time    time.Time
	Tool    string // "trustctl v1.2.3"
}

// Render writes the override: every service whose image passed with a signed digest
// gets that image as name:tag@digest; the images that passed without one (exception,
// require: none, build only, a rule in warn mode) are listed in the header. Same
// decisions, same bytes.
func Render(o Override) ([]byte, error) {
	type servicePins struct {
		image   string
		volumes [][2]string // target, reference
	}
	pinned := map[string]*servicePins{}
	var unpinned []string
	for _, d := range o.Decisions {
		ref, ok := Reference(d)
		target, isVolume := strings.CutPrefix(d.Source.Use, "volume ")
		if ok && (d.Source.Use == "" || isVolume) {
			p := pinned[d.Source.Service]
			if p == nil {
				p = &servicePins{}
				pinned[d.Source.Service] = p
			}
			if isVolume {
				p.volumes = append(p.volumes, [2]string{target, ref})
			} else {
				p.image = ref
			}
			continue
		}
		what := d.Image.String()
		switch {
		case d.Code == policy.CodeBuildOnly:
			what = "built locally"
		case what == "":
			what = "-"
		}
		why := fmt.Sprintf("%s: %s", d.Code, d.Reason)
		if ok {
			// compose appends the pre_start lists of its files: an override would add a
			// hook, not pin one
			why = "verified, but an override cannot replace a hook's image"
		}
		unpinned = append(unpinned, fmt.Sprintf("%s: %s (%s)", label(d.Source), what, why))
	}
	header := []string{
		fmt.Sprintf("Pinned by %s at %s against the policy %s.", o.Tool, o.Time.UTC().Format(time.RFC3339), o.Policy),
		"Every image below passed that policy with this digest. Deploy with this file last:",
		"  docker stack deploy -c FILE... -c THIS   or   docker compose -f FILE... -f THIS ...",
	}
	if len(unpinned) > 0 {
		header = append(header, "Not pinned:")
		for _, u := range unpinned {
			header = append(header, "  "+oneLine(u))
		}
	}
	services := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range slices.Sorted(maps.Keys(pinned)) {
		p := pinned[name]
		svc := &yaml.Node{Kind: yaml.MappingNode}
		if p.image != "" {
			svc.Content = append(svc.Content, str("image"), str(p.image))
		}
		if len(p.volumes) > 0 {
			// compose merges a service's volumes by target: these replace the sources
			vols := &yaml.Node{Kind: yaml.SequenceNode}
			for _, v := range p.volumes {
				vols.Content = append(vols.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					str("type"), str("image"), str("source"), str(v[1]), str("target"), str(v[0])}})
			}
			svc.Content = append(svc.Content, str("volumes"), vols)
		}
		services.Content = append(services.Content, key(name), svc)
	}
	if len(pinned) == 0 {
		services.Style = yaml.FlowStyle
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if o.Version != "" {
		v := str(o.Version)
		v.Style = yaml.DoubleQuotedStyle // "3.10" must not become the number 3.1
		root.Content = append(root.Content, str("version"), v)
	}
	root.Content = append(root.Content, str("services"), services)
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.Join(header, "\n"), Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// plainKey is a service name every YAML reader takes as that string.
var plainKey = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// key quotes a service name unless it is plain: YAML 1.1 readers take yes, on or null
// for booleans and nulls.
func key(name string) *yaml.Node {
	n := str(name)
	switch strings.ToLower(name) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		n.Style = yaml.DoubleQuotedStyle
	default:
		if !plainKey.MatchString(name) {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	return n
}

// oneLine keeps a comment line a comment line, whatever a reason holds.
func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// Write replaces path with data atomically (a reader sees the old file or the new one,
// never half of one), mode FileMode. A symlink or anything but a regular file at path
// is refused: the gate must not write through a link someone planted.
func Write(path string, data []byte) error { return WriteMode(path, data, FileMode) }

// WriteMode is Write with another mode (pin --in-place keeps the file's).
func WriteMode(path string, data []byte, mode os.FileMode) error {
	if err := checkTarget(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pin file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// rename replaces a link planted meanwhile, never its target
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("pin file %s: %w", path, err)
	}
	return nil
}

// Remove deletes a pin file left by an earlier run, so that a failed gate leaves none
// for the next step; a symlink is removed, never followed.
func Remove(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && info.IsDir() {
		err = errors.New("is a directory")
	}
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("pin file %s: %w", path, err)
	}
	return nil
}

// CheckTarget refuses, before anything runs, a pin file path that is a symlink, not a
// regular file, or one of the inputs it would override.
func CheckTarget(path string, inputs []string) error {
	if err := checkTarget(path); err != nil {
		return err
	}
	return checkNotInput(path, inputs)
}

func checkTarget(path string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("pin file %s: %w", path, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("pin file %s: is a symlink: refusing to write through it", path)
	case !info.Mode().IsRegular():
		return fmt.Errorf("pin file %s: not a regular file", path)
	}
	return nil
}

func checkNotInput(path string, inputs []string) error {
	out, err := os.Stat(path)
	if err != nil {
		return nil // nothing there yet, or checkTarget will say what is wrong
	}
	for _, in := range inputs {
		if info, err := os.Stat(in); err == nil && os.SameFile(out, info) {
			return fmt.Errorf("pin file %s is also an input file: give another path", path)
		}
	}
	return nil
}

// label names a service and what of it pulls the image.
func label(s policy.Source) string {
	if s.Use == "" {
		return s.Service
	}
	return s.Service + " (" + s.Use + ")"
}
