package stack

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"

	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v3"
)

// swarmOnlyKeys are the deploy keys only swarm acts on: docker compose ignores them, so
// a file that sets one is written for `docker stack deploy`. deploy.replicas,
// deploy.resources, deploy.restart_policy and deploy.labels are common in plain compose
// files and say nothing about the mode.
var swarmOnlyKeys = []string{"mode", "placement", "update_config", "rollback_config", "endpoint_mode"}

// swarmOnly finds the first swarm-only setting of the files: a deploy key above, or a
// top-level secret or config with a driver (swarm's secret and template drivers).
func swarmOnly(files []*yamlFile) (pos position, what string, ok bool) {
	for _, f := range files {
		_, services := lookup(f.root, "services")
		services = resolve(services)
		if services != nil && services.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(services.Content); i += 2 {
				_, deploy := lookup(services.Content[i+1], "deploy")
				for _, key := range swarmOnlyKeys {
					if k, _ := lookup(deploy, key); k != nil {
						return position{f.name, k.Line}, "deploy." + key, true
					}
				}
			}
		}
		for _, top := range []string{"secrets", "configs"} {
			_, m := lookup(f.root, top)
			m = resolve(m)
			if m == nil || m.Kind != yaml.MappingNode {
				continue
			}
			for i := 0; i+1 < len(m.Content); i += 2 {
				for _, key := range []string{"driver", "template_driver"} {
					if k, _ := lookup(m.Content[i+1], key); k != nil {
						return position{f.name, k.Line}, top + "." + m.Content[i].Value + "." + key, true
					}
				}
			}
		}
	}
	return position{}, "", false
}

// modeChoice is the mode in force and why, for messages about variables.
type modeChoice struct {
	mode Mode
	// auto is set when ModeAuto chose the mode; reason is then the swarm-only
	// setting that chose stack mode, if any.
	auto   bool
	reason string
	dotenv bool // a .env is in the project directory
}

func chooseMode(requested Mode, files []*yamlFile, wd string) modeChoice {
	c := modeChoice{mode: requested}
	if st, err := os.Stat(filepath.Join(wd, ".env")); err == nil && st.Mode().IsRegular() {
		c.dotenv = true
	}
	if requested != ModeAuto {
		return c
	}
	c.auto, c.mode = true, ModeCompose
	if pos, what, ok := swarmOnly(files); ok {
		c.mode = ModeStack
		c.reason = fmt.Sprintf("%s:%d sets %s", displayPath(pos.file), pos.line, what)
	}
	return c
}

// hint says where a variable's value comes from in the mode in force, and how to
// change it.
func (c modeChoice) hint() string {
	var why string
	switch {
	case c.auto && c.reason != "":
		why = " (auto: " + c.reason + ")"
	case c.auto:
		why = " (auto: no swarm-only key)"
	}
	if c.mode == ModeStack {
		dotenv := ""
		if c.dotenv {
			dotenv = ", not even the one next to the file"
		}
		return fmt.Sprintf("stack mode%s reads no .env%s: set it, use --env-file FILE or --mode compose", why, dotenv)
	}
	return fmt.Sprintf("compose mode%s: set it in the environment, in .env or with --env-file FILE", why)
}

// unsetVariable is a plain ${NAME} or $NAME, with no default, whose variable is set
// nowhere: compose-go reads it as "" (with a warning docker prints and compose-go's
// logger would), which turns a volume into ":/hostfs:ro" or an image into "repo:".
type unsetVariable struct {
	name string
	pos  position
}

func (v unsetVariable) message(c modeChoice) string {
	return fmt.Sprintf("%s:%d: variable %s is not set and reads as \"\": %s",
		displayPath(v.pos.file), v.pos.line, v.name, c.hint())
}

var plainVariable = regexp.MustCompile(`(?i)^[_a-z][_a-z0-9]*$`)

// warnUnset warns about each unset variable but the one an error already names.
func warnUnset(log *slog.Logger, unset []unsetVariable, c modeChoice, err error) {
	if log == nil {
		return
	}
	var ie *InputError
	for _, v := range unset {
		if errors.As(err, &ie) && ie.variable == v.name {
			continue
		}
		log.Warn(v.message(c))
	}
}

// unsetVariables lists the unset plain variables of the files, each once, in file
// order. Keys are not interpolated, and escaped $$ is no variable.
func unsetVariables(files []*yamlFile, env map[string]string) []unsetVariable {
	var out []unsetVariable
	seen := map[string]bool{}
	var walk func(f *yamlFile, n *yaml.Node, depth int)
	walk = func(f *yamlFile, n *yaml.Node, depth int) {
		if n == nil || depth > maxDepth*4 {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			for _, m := range template.DefaultPattern.FindAllStringSubmatch(n.Value, -1) {
				name := ""
				for i, g := range template.DefaultPattern.SubexpNames() {
					if (g == "named" || g == "braced") && m[i] != "" {
						name = m[i]
					}
				}
				if !plainVariable.MatchString(name) || seen[name] {
					continue
				}
				if _, ok := env[name]; !ok {
					seen[name] = true
					out = append(out, unsetVariable{name, position{f.name, n.Line}})
				}
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(f, n.Content[i], depth+1)
			}
		case yaml.SequenceNode, yaml.DocumentNode:
			for _, c := range n.Content {
				walk(f, c, depth+1)
			}
		}
	}
	for _, f := range files {
		walk(f, f.root, 0)
	}
	return out
}

// displayPath names a file relative to the working directory when it is below it, as
// messages and reports show files.
func displayPath(file string) string {
	if !filepath.IsAbs(file) {
		return file
	}
	wd, err := os.Getwd()
	if err != nil {
		return file
	}
	if rel, err := filepath.Rel(wd, file); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return file
}
