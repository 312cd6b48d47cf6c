// Package stack reads compose and stack files the way docker compose and docker stack
// deploy read them, and returns the images their services run, each with the file and
// line where it is written.
package stack

import (
	// Digests in references fail to parse unless sha256 is registered.
	_ "crypto/sha256"

	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"

	"github.com/trustctl/trustctl/internal/fsread"
)

// Mode selects how the files are read.
type Mode int

const (
	// ModeAuto reads the files as a stack when they set a key only swarm acts on
	// (deploy.placement, deploy.update_config, …: see swarmOnlyKeys), else as a
	// compose project (docs/stack-files.md).
	ModeAuto Mode = iota
	// ModeStack reads them as `docker stack deploy -c` does: .env is never read.
	ModeStack
	// ModeCompose reads them as `docker compose -f` does: .env is read.
	ModeCompose
)

func (m Mode) String() string {
	switch m {
	case ModeStack:
		return "stack"
	case ModeCompose:
		return "compose"
	}
	return "auto"
}

// Options tune Load.
type Options struct {
	Mode Mode
	// Profiles to activate. Empty means COMPOSE_PROFILES in compose mode and every
	// service in stack mode: swarm has no profiles, and checking an image too many is
	// safer than one too few.
	Profiles []string
	// EnvFiles are read for interpolation in both modes, like `docker compose
	// --env-file`. In compose mode they replace the default .env.
	EnvFiles []string
	// WorkingDir is the project directory; default the directory of the first file.
	WorkingDir string
	// Environ is the process environment used for interpolation, as KEY=VALUE;
	// nil means os.Environ(). It overrides values from env files, as in docker.
	Environ []string
	// Log receives a warning for each variable that is set nowhere; nil discards them.
	Log *slog.Logger
}

// ImageUse is one image a service pulls, or a service that pulls none.
type ImageUse struct {
	Service string
	// Use says what pulls the image: "" for the service's containers, "pre_start[N]"
	// for a lifecycle hook's, "volume TARGET" for a volume of type image.
	Use string
	// Image is the image as written, after interpolation; empty when BuildOnly.
	Image string
	// Ref is the normalised reference: nginx -> docker.io/library/nginx:latest.
	Ref string
	// Named keeps both tag and digest; Named.Name() is the GUN. Nil when nothing is
	// pulled (BuildOnly, Provider, NotDeployed).
	Named reference.Named
	// BuildOnly marks a service that runs a locally built image (build: and no image,
	// or pull_policy: build): there is nothing to verify, which callers must report
	// rather than pass silently.
	BuildOnly bool
	// Provider is the type of a provider: service, which a plugin runs instead of an
	// image.
	Provider string
	// NotDeployed marks a service left out by inactive profiles (its Profiles): it is
	// not checked, and reports say so.
	NotDeployed bool
	Profiles    []string
	// File and Line locate the image: key in the last file (in merge order) that sets
	// it, or the service's key when no file does.
	File string
	Line int
}

// Load reads files merged in order, like `docker compose -f a -f b` or
// `docker stack deploy -c a -c b`, and returns one ImageUse per active service, in the
// order the services appear in the files. Every error caused by the input matches
// ErrInput.
func Load(ctx context.Context, files []string, opts Options) ([]ImageUse, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no compose file given", ErrInput)
	}
	wd := opts.WorkingDir
	if wd == "" {
		wd = filepath.Dir(files[0])
	}
	wd, err := filepath.Abs(wd)
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	parsed := make([]*yamlFile, len(files))
	for i, name := range files {
		if parsed[i], err = parseFile(name, wd); err != nil {
			return nil, err
		}
	}
	choice := chooseMode(opts.Mode, parsed, wd)
	if choice.mode == ModeStack {
		// compose-go reads the .env of every included project, and docker stack
		// deploy rejects include anyway.
		for _, f := range parsed {
			if k, _ := lookup(f.root, "include"); k != nil {
				return nil, &InputError{File: f.name, Line: k.Line, Err: errors.New("include is not supported by docker stack deploy")}
			}
		}
	}
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	uses, unset, err := load(ctx, parsed, wd, choice, opts, environ)
	if err != nil {
		err = located(err, parsed, unset, choice)
	}
	warnUnset(opts.Log, unset, choice, err)
	return uses, err
}

// load reads the project and lists its images; it also returns the variables the
// files use that are set nowhere.
func load(ctx context.Context, parsed []*yamlFile, wd string, choice modeChoice, opts Options, environ []string) ([]ImageUse, []unsetVariable, error) {
	project, unset, err := loadProject(ctx, parsed, wd, choice.mode, opts, environ)
	if err != nil {
		return nil, unset, err
	}

	loc := newLocator()
	var uses []placedUse
	for _, name := range project.ServiceNames() {
		svc := project.Services[name]
		pos := loc.locate(parsed, name)
		serviceUses, err := imageUses(svc, pos)
		if err != nil {
			return nil, unset, err
		}
		for _, u := range serviceUses {
			uses = append(uses, placedUse{u, declared(parsed, name, pos)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(project.DisabledServices)) {
		pos := loc.locate(parsed, name)
		u := ImageUse{Service: name, Image: project.DisabledServices[name].Image, NotDeployed: true,
			Profiles: project.DisabledServices[name].Profiles, File: pos.file, Line: pos.line}
		uses = append(uses, placedUse{u, declared(parsed, name, pos)})
	}
	return inFileOrder(uses, parsed), unset, nil
}

// placedUse is a use with where its service is declared.
type placedUse struct {
	ImageUse
	declared position
}

// declared is where a service first appears: its key in the first of the given files
// that has it, else (a service from an include) where its image is.
func declared(files []*yamlFile, name string, image position) position {
	for _, f := range files {
		if k, _ := f.service(name); k != nil {
			return position{f.name, k.Line}
		}
	}
	return image
}

// inFileOrder lists uses in the order of the files (docs/report-json.md), as a reader
// of the files meets the services: the files given first, in their order, then those
// reached through include, each by line. A service's hooks and image volumes follow
// it, and services at the same place keep their name order.
func inFileOrder(uses []placedUse, files []*yamlFile) []ImageUse {
	rank := map[string]int{}
	for _, f := range files {
		if _, ok := rank[f.name]; !ok {
			rank[f.name] = len(rank)
		}
	}
	for _, u := range uses {
		if _, ok := rank[u.declared.file]; !ok {
			rank[u.declared.file] = len(rank)
		}
	}
	slices.SortStableFunc(uses, func(a, b placedUse) int {
		if c := cmp.Compare(rank[a.declared.file], rank[b.declared.file]); c != 0 {
			return c
		}
		return cmp.Compare(a.declared.line, b.declared.line)
	})
	out := make([]ImageUse, len(uses))
	for i, u := range uses {
		out[i] = u.ImageUse
	}
	return out
}

// imageUses lists what one service pulls: its image, the images of its pre_start hooks
// and of its volumes of type image (compose-spec), each checked like the service's.
func imageUses(svc types.ServiceConfig, pos position) ([]ImageUse, error) {
	base := ImageUse{Service: svc.Name, File: pos.file, Line: pos.line}
	parse := func(use ImageUse, image string) (ImageUse, error) {
		named, err := reference.ParseNormalizedNamed(image)
		if err != nil {
			where := "image"
			if use.Use != "" {
				where = use.Use + " image"
			}
			return use, &InputError{File: pos.file, Line: pos.line, Service: svc.Name, Err: fmt.Errorf("%s %q: %w", where, image, err)}
		}
		use.Image = image
		use.Named = reference.TagNameOnly(named)
		use.Ref = use.Named.String()
		return use, nil
	}
	var uses []ImageUse
	switch {
	case svc.Provider != nil:
		use := base
		use.Provider = svc.Provider.Type
		uses = append(uses, use)
	case svc.Build != nil && (svc.Image == "" || svc.PullPolicy == types.PullPolicyBuild):
		use := base
		use.Image, use.BuildOnly = svc.Image, true
		uses = append(uses, use)
	case svc.Image == "":
		return nil, &InputError{File: pos.file, Line: pos.line, Service: svc.Name, Err: errors.New("neither image nor build is set")}
	default:
		use, err := parse(base, svc.Image)
		if err != nil {
			return nil, err
		}
		uses = append(uses, use)
	}
	for i, hook := range svc.PreStart {
		if hook.Image == "" || hook.Image == svc.Image {
			continue // the service's own image, checked above
		}
		use := base
		use.Use = fmt.Sprintf("pre_start[%d]", i)
		use, err := parse(use, hook.Image)
		if err != nil {
			return nil, err
		}
		uses = append(uses, use)
	}
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeImage {
			continue
		}
		use := base
		use.Use = "volume " + v.Target
		use, err := parse(use, v.Source)
		if err != nil {
			return nil, err
		}
		uses = append(uses, use)
	}
	return uses, nil
}

// loadProject runs compose-go with the options of the mode; it also returns the
// variables the files use that are set nowhere.
func loadProject(ctx context.Context, parsed []*yamlFile, wd string, mode Mode, opts Options, environ []string) (*types.Project, []unsetVariable, error) {
	envFiles := opts.EnvFiles
	for _, f := range envFiles {
		// compose-go reads env files whole and would block on a FIFO.
		if _, err := fsread.ReadFile(f, fsread.StackLimit); err != nil {
			return nil, nil, &InputError{File: f, Err: errors.Unwrap(err)}
		}
	}
	if len(envFiles) == 0 && mode == ModeCompose && !envDisabled(environ) {
		dotenv := filepath.Join(wd, ".env")
		if st, err := os.Stat(dotenv); err == nil && st.Mode().IsRegular() {
			envFiles = []string{dotenv}
		}
	}
	po := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(wd),
		cli.WithEnv(environ),
		cli.WithoutEnvironmentResolution,
		cli.WithoutLabelsResolution,
		// Only images matter here; docker reports the other inconsistencies itself.
		cli.WithConsistency(false),
	}
	if len(envFiles) > 0 {
		// WithEnvFiles must come before WithDotEnv; with no files it would look for
		// .env on its own, so it is only called with an explicit list.
		po = append(po, cli.WithEnvFiles(envFiles...), cli.WithDotEnv)
	}
	switch {
	case mode == ModeCompose:
		po = append(po, cli.WithDefaultProfiles(opts.Profiles...))
	case len(opts.Profiles) > 0:
		po = append(po, cli.WithProfiles(opts.Profiles))
	default:
		po = append(po, cli.WithProfiles([]string{"*"}))
	}
	files := make([]string, len(parsed))
	for i, f := range parsed {
		files[i] = f.name
	}
	options, err := cli.NewProjectOptions(files, po...)
	if err != nil {
		return nil, nil, err
	}
	unset := unsetVariables(parsed, options.Environment)
	// The files that extends and include name are checked with the environment
	// compose-go interpolates them with (.env and env files included).
	if err := checkReferences(parsed, wd, options.Environment); err != nil {
		return nil, unset, err
	}
	defer quiet()()
	project, err := options.LoadProject(ctx)
	return project, unset, err
}

// envDisabled reads COMPOSE_DISABLE_ENV_FILE as docker compose does.
func envDisabled(environ []string) bool {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "COMPOSE_DISABLE_ENV_FILE="); ok {
			b, _ := strconv.ParseBool(v)
			return b
		}
	}
	return false
}

var logMu sync.Mutex

// quiet silences compose-go, which warns through the global logrus logger, until the
// returned function restores it.
func quiet() (restore func()) {
	logMu.Lock()
	l := logrus.StandardLogger()
	out, level := l.Out, l.GetLevel()
	l.SetOutput(io.Discard)
	l.SetLevel(logrus.PanicLevel)
	return func() {
		l.SetOutput(out)
		l.SetLevel(level)
		logMu.Unlock()
	}
}

// findVariable finds the first line that requires ${name:?…} or ${name?…}.
func findVariable(files []*yamlFile, name string) (string, int) {
	re := regexp.MustCompile(`\$\{` + regexp.QuoteMeta(name) + `:?\?`)
	for _, f := range files {
		data, err := fsread.ReadFile(f.name, fsread.StackLimit)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			if re.MatchString(line) {
				return f.name, i + 1
			}
		}
	}
	return "", 0
}

// Repositories returns the unique GUNs of uses, sorted; build-only uses have none.
func Repositories(uses []ImageUse) []string {
	var repos []string
	for _, u := range uses {
		if u.Named != nil {
			repos = append(repos, u.Named.Name())
		}
	}
	slices.Sort(repos)
	return slices.Compact(repos)
}

// Version is the top-level `version:` of the first of files that sets one, as written
// ("" when none does). docker stack deploy refuses to merge files whose versions
// differ and takes a file without one as the newest, so an override must repeat it.
func Version(files []string) (string, error) {
	for _, name := range files {
		f, err := parseFile(name, filepath.Dir(name))
		if err != nil {
			return "", err
		}
		if _, v := lookup(f.root, "version"); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value, nil
		}
	}
	return "", nil
}
