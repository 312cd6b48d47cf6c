package stack

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/sirupsen/logrus"
)

// writeArchive extracts a txtar archive into a temporary directory.
func writeArchive(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// use is the comparable summary of an ImageUse: "service ref file:line" with the
// file relative to the test directory, and "build-only" for BuildOnly.
func summary(dir string, u ImageUse) string {
	rel, _ := filepath.Rel(dir, u.File)
	ref := u.Ref
	switch {
	case u.BuildOnly:
		ref = "build-only"
	case u.Provider != "":
		ref = "provider " + u.Provider
	case u.NotDeployed:
		ref = "not-deployed " + strings.Join(u.Profiles, ",")
	}
	service := u.Service
	if u.Use != "" {
		service += " (" + u.Use + ")"
	}
	return service + " " + ref + " " + rel + ":" + itoa(u.Line)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestLoad(t *testing.T) {
	const dotenvStack = `
-- stack.yml --
services:
  app:
    image: registry.example.com/app:${TAG:-default}
    deploy:
      replicas: 2
-- .env --
TAG=dotenv
-- prod.env --
TAG=prod
`
	const dotenvCompose = `
-- compose.yml --
services:
  app:
    image: registry.example.com/app:${TAG:-default}
-- .env --
TAG=dotenv
`
	const profiles = `
-- compose.yml --
services:
  web:
    image: nginx
  debug:
    image: busybox:1.36
    profiles: [debug]
`
	tests := []struct {
		name    string
		archive string
		files   []string
		opts    Options
		want    []string
	}{
		{
			name: "normalised reference",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
  api:
    image: registry.example.com:5000/team/api:1.4
`,
			files: []string{"compose.yml"},
			want: []string{
				"web docker.io/library/nginx:latest compose.yml:3",
				"api registry.example.com:5000/team/api:1.4 compose.yml:5",
			},
		},
		{
			name: "files merged in order, last image wins",
			archive: `
-- a.yml --
services:
  web:
    image: nginx:1.0
  db:
    image: postgres:16
  cache:
    image: redis:7
-- b.yml --
services:
  cache:
    ports: ["6379:6379"]


  web:
    image: nginx:1.1
`,
			files: []string{"a.yml", "b.yml"},
			want: []string{
				"web docker.io/library/nginx:1.1 b.yml:7",
				"db docker.io/library/postgres:16 a.yml:5",
				"cache docker.io/library/redis:7 a.yml:7",
			},
		},
		{
			name:    "stack mode ignores .env",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			opts:    Options{Mode: ModeStack},
			want:    []string{"app registry.example.com/app:default stack.yml:3"},
		},
		{
			name:    "auto mode: deploy.replicas is common in compose files, which read .env",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			want:    []string{"app registry.example.com/app:dotenv stack.yml:3"},
		},
		{
			name: "auto mode: a swarm-only key makes it a stack, which reads no .env",
			archive: `
-- stack.yml --
services:
  app:
    image: registry.example.com/app:${TAG:-default}
    deploy:
      placement:
        constraints: [node.role == worker]
-- .env --
TAG=dotenv
`,
			files: []string{"stack.yml"},
			want:  []string{"app registry.example.com/app:default stack.yml:3"},
		},
		{
			name:    "compose mode reads .env",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			opts:    Options{Mode: ModeCompose},
			want:    []string{"app registry.example.com/app:dotenv stack.yml:3"},
		},
		{
			name:    "auto mode is compose mode without deploy sections",
			archive: dotenvCompose,
			files:   []string{"compose.yml"},
			want:    []string{"app registry.example.com/app:dotenv compose.yml:3"},
		},
		{
			name:    "process environment beats .env",
			archive: dotenvCompose,
			files:   []string{"compose.yml"},
			opts:    Options{Environ: []string{"TAG=process"}},
			want:    []string{"app registry.example.com/app:process compose.yml:3"},
		},
		{
			name:    "process environment in stack mode",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			opts:    Options{Mode: ModeStack, Environ: []string{"TAG=process"}},
			want:    []string{"app registry.example.com/app:process stack.yml:3"},
		},
		{
			name:    "COMPOSE_DISABLE_ENV_FILE",
			archive: dotenvCompose,
			files:   []string{"compose.yml"},
			opts:    Options{Environ: []string{"COMPOSE_DISABLE_ENV_FILE=1"}},
			want:    []string{"app registry.example.com/app:default compose.yml:3"},
		},
		{
			name:    "env file in stack mode",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			opts:    Options{Mode: ModeStack, EnvFiles: []string{"prod.env"}},
			want:    []string{"app registry.example.com/app:prod stack.yml:3"},
		},
		{
			name:    "env file replaces .env in compose mode",
			archive: dotenvStack,
			files:   []string{"stack.yml"},
			opts:    Options{Mode: ModeCompose, EnvFiles: []string{"prod.env"}},
			want:    []string{"app registry.example.com/app:prod stack.yml:3"},
		},
		{
			name:    "inactive profile not deployed in compose mode",
			archive: profiles,
			files:   []string{"compose.yml"},
			want:    []string{"web docker.io/library/nginx:latest compose.yml:3", "debug not-deployed debug compose.yml:5"},
		},
		{
			name: "every image a deploy pulls: hooks, image volumes; providers and local builds pull none",
			archive: `
-- compose.yml --
services:
  web:
    image: registry.example.com/web:1
    pre_start:
      - image: registry.example.com/migrate:2
        command: migrate
      - command: same-image
    volumes:
      - type: image
        source: registry.example.com/assets:3
        target: /assets
      - type: tmpfs
        target: /tmp
  model:
    provider:
      type: model
      options: {model: ai/smollm2}
  local:
    image: registry.example.com/local:dev
    build: .
    pull_policy: build
`,
			files: []string{"compose.yml"},
			want: []string{
				"web registry.example.com/web:1 compose.yml:3",
				"web (pre_start[0]) registry.example.com/migrate:2 compose.yml:3",
				"web (volume /assets) registry.example.com/assets:3 compose.yml:3",
				"model provider model compose.yml:14",
				"local build-only compose.yml:19",
			},
		},
		{
			name:    "profile activated",
			archive: profiles,
			files:   []string{"compose.yml"},
			opts:    Options{Profiles: []string{"debug"}},
			want: []string{
				"web docker.io/library/nginx:latest compose.yml:3",
				"debug docker.io/library/busybox:1.36 compose.yml:5",
			},
		},
		{
			name:    "COMPOSE_PROFILES",
			archive: profiles,
			files:   []string{"compose.yml"},
			opts:    Options{Environ: []string{"COMPOSE_PROFILES=debug"}},
			want: []string{
				"web docker.io/library/nginx:latest compose.yml:3",
				"debug docker.io/library/busybox:1.36 compose.yml:5",
			},
		},
		{
			name:    "stack mode checks every profile",
			archive: profiles,
			files:   []string{"compose.yml"},
			opts:    Options{Mode: ModeStack},
			want: []string{
				"web docker.io/library/nginx:latest compose.yml:3",
				"debug docker.io/library/busybox:1.36 compose.yml:5",
			},
		},
		{
			name: "extends in the same file and from another file",
			archive: `
-- compose.yml --
services:
  base:
    image: registry.example.com/base:1
  web:
    extends: base
    ports: ["80:80"]
  api:
    extends:
      file: common/services.yml
      service: api
-- common/services.yml --
services:
  api:
    environment:
      A: b
    image: registry.example.com/api:2
`,
			files: []string{"compose.yml"},
			want: []string{
				"base registry.example.com/base:1 compose.yml:3",
				"web registry.example.com/base:1 compose.yml:3",
				"api registry.example.com/api:2 common/services.yml:5",
			},
		},
		{
			name: "extends in a later file: the image is at the extended file's line",
			archive: `
-- a.yml --
services:
  web:
    image: registry.example.com/web:1
-- b.yml --
services:
  web:
    extends:
      file: base.yml
      service: hardened
-- base.yml --
services:
  hardened:
    read_only: true
    image: registry.example.com/hardened:2
`,
			files: []string{"a.yml", "b.yml"},
			want:  []string{"web registry.example.com/hardened:2 base.yml:4"},
		},
		{
			name: "services in the order they appear in the files",
			archive: `
-- a.yml --
services:
  zeta:
    image: registry.example.com/zeta:1
  alpha:
    build: .
  mid:
    image: registry.example.com/mid:1
-- b.yml --
services:
  beta:
    image: registry.example.com/beta:1
  zeta:
    image: registry.example.com/zeta:2
`,
			files: []string{"a.yml", "b.yml"},
			want: []string{
				"zeta registry.example.com/zeta:2 b.yml:5",
				"alpha build-only a.yml:4",
				"mid registry.example.com/mid:1 a.yml:7",
				"beta registry.example.com/beta:1 b.yml:3",
			},
		},
		{
			name: "include",
			archive: `
-- compose.yml --
include:
  - sub/compose.yml
services:
  web:
    image: nginx:1.27
-- sub/compose.yml --
services:
  db:
    image: postgres:${PG:-16}
-- sub/.env --
PG=17
`,
			files: []string{"compose.yml"},
			want: []string{
				"web docker.io/library/nginx:1.27 compose.yml:5",
				"db docker.io/library/postgres:17 sub/compose.yml:3",
			},
		},
		{
			name: "anchors and merge keys",
			archive: `
-- compose.yml --
x-base: &base
  restart: always
  image: registry.example.com/base:1
x-img: &img registry.example.com/img:3
services:
  merged:
    <<: *base
  overridden:
    <<: *base
    image: registry.example.com/own:2
  aliased:
    image: *img
  whole: *base
`,
			files: []string{"compose.yml"},
			want: []string{
				"merged registry.example.com/base:1 compose.yml:3",
				"overridden registry.example.com/own:2 compose.yml:10",
				"aliased registry.example.com/img:3 compose.yml:12",
				"whole registry.example.com/base:1 compose.yml:3",
			},
		},
		{
			name: "build only",
			archive: `
-- compose.yml --
services:
  app:
    build: .
  both:
    build: .
    image: registry.example.com/app:1
`,
			files: []string{"compose.yml"},
			want: []string{
				"app build-only compose.yml:2",
				"both registry.example.com/app:1 compose.yml:6",
			},
		},
		{
			name: "digest references keep tag and digest",
			archive: `
-- compose.yml --
services:
  pinned:
    image: registry.example.com/app:1.4@sha256:` + strings.Repeat("ab", 32) + `
  digest:
    image: nginx@sha256:` + strings.Repeat("cd", 32) + `
`,
			files: []string{"compose.yml"},
			want: []string{
				"pinned registry.example.com/app:1.4@sha256:" + strings.Repeat("ab", 32) + " compose.yml:3",
				"digest docker.io/library/nginx@sha256:" + strings.Repeat("cd", 32) + " compose.yml:5",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeArchive(t, tt.archive)
			t.Chdir(dir)
			if tt.opts.Environ == nil {
				tt.opts.Environ = []string{}
			}
			uses, err := Load(context.Background(), abs(dir, tt.files), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range uses {
				got = append(got, summary(dir, u))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func abs(dir string, files []string) []string {
	var out []string
	for _, f := range files {
		out = append(out, filepath.Join(dir, f))
	}
	return out
}

func TestLoadKeepsTagAndDigest(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	dir := writeArchive(t, `
-- compose.yml --
services:
  app:
    image: registry.example.com/app:1.4@`+digest+`
`)
	uses, err := Load(context.Background(), abs(dir, []string{"compose.yml"}), Options{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	u := uses[0]
	tagged, ok1 := u.Named.(reference.Tagged)
	digested, ok2 := u.Named.(reference.Digested)
	if !ok1 || !ok2 || tagged.Tag() != "1.4" || digested.Digest().String() != digest {
		t.Errorf("Named = %v, want tag 1.4 and digest %s", u.Named, digest)
	}
	if u.Named.Name() != "registry.example.com/app" || u.Image != "registry.example.com/app:1.4@"+digest {
		t.Errorf("Name() = %q, Image = %q", u.Named.Name(), u.Image)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		files   []string
		opts    Options
		want    string // substring of the error, after the test directory is removed
	}{
		{
			name:  "missing file",
			files: []string{"nope.yml"},
			want:  "nope.yml: no such file or directory",
		},
		{
			name: "malformed YAML",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
   bad: [
`,
			files: []string{"compose.yml"},
			want:  "compose.yml:4: ",
		},
		{
			name: "malformed second file",
			archive: `
-- a.yml --
services:
  web:
    image: nginx
-- b.yml --
services:
  web:
	image: nginx
`,
			files: []string{"a.yml", "b.yml"},
			want:  "b.yml:3: found character that cannot start any token",
		},
		{
			name: "bad reference",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
  api:
    image: Registry.example.com/Team/API:1
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:5: service "api": image "Registry.example.com/Team/API:1": invalid reference format`,
		},
		{
			name: "required variable",
			archive: `
-- compose.yml --
services:
  web:
    image: ${REGISTRY:?set REGISTRY}/web:1
`,
			files: []string{"compose.yml"},
			want:  "compose.yml:3: error while interpolating services.web.image: required variable REGISTRY is missing a value: set REGISTRY",
		},
		{
			name: "missing env file",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
`,
			files: []string{"compose.yml"},
			opts:  Options{EnvFiles: []string{"missing.env"}},
			want:  "missing.env: no such file or directory",
		},
		{
			name: "include in stack mode",
			archive: `
-- stack.yml --
include:
  - other.yml
services:
  web:
    image: nginx
-- other.yml --
services:
  db:
    image: postgres
`,
			files: []string{"stack.yml"},
			opts:  Options{Mode: ModeStack},
			want:  "stack.yml:1: include is not supported by docker stack deploy",
		},
		{
			name: "neither image nor build",
			archive: `
-- compose.yml --
services:
  web:
    ports: ["80:80"]
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:2: service "web": neither image nor build is set`,
		},
		{
			name: "schema violation",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
    imagez: nginx
`,
			files: []string{"compose.yml"},
			want:  "imagez",
		},
		{
			name:  "no files",
			files: nil,
			want:  "no compose file given",
		},
		{
			name: "several unknown keys: the first by position, in words",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
    imagez: nginx
  api:
    image: nginx
    portz: 80
  db:
    image: postgres
    volumez: []
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:4: services.web: unknown key "imagez" (compose specification)`,
		},
		{
			name: "unknown top-level key",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
servicez: {}
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:4: unknown top-level key "servicez"`,
		},
		{
			name: "wrong type",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
    build: 3
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:4: services.web.build must be a string`,
		},
		{
			name: "a value still to be interpolated is judged after interpolation",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
    deploy:
      replicas: ${REPLICAS:-2}
  api:
    image: nginx
    portz: 80
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:8: services.api: unknown key "portz"`,
		},
		{
			name: "unknown key in an included file: located there",
			archive: `
-- compose.yml --
include:
  - sub/compose.yml
services:
  web:
    image: nginx
-- sub/compose.yml --
services:

  db:
    image: postgres
    volumez: []
`,
			files: []string{"compose.yml"},
			want:  `sub/compose.yml:5: services.db: unknown key "volumez"`,
		},
		{
			name: "decoding error located",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx
    healthcheck:
      interval: soon
`,
			files: []string{"compose.yml"},
			want:  `compose.yml:5: services.web.healthcheck.interval: time: invalid duration "soon"`,
		},
		{
			name: "unset variable in stack mode: named, with the mode and how to change it",
			archive: `
-- compose.yml --
services:
  agent:
    image: registry.example.com/agent:1
    volumes:
      - ${HOSTFS}:/hostfs:ro
    deploy:
      placement:
        constraints: [node.role == manager]
-- .env --
HOSTFS=/
`,
			files: []string{"compose.yml"},
			want: `compose.yml:5: invalid spec: :/hostfs:ro: empty section between colons; variable HOSTFS is not set: ` +
				`stack mode (auto: compose.yml:7 sets deploy.placement) reads no .env, not even the one next to the file: set it, use --env-file FILE or --mode compose`,
		},
		{
			name: "unset variable in an image in compose mode",
			archive: `
-- compose.yml --
services:
  web:
    image: nginx:${TAG}
`,
			files: []string{"compose.yml"},
			opts:  Options{Mode: ModeCompose},
			want: `compose.yml:3: service "web": image "nginx:": invalid reference format; variable TAG is not set: ` +
				`compose mode: set it in the environment, in .env or with --env-file FILE`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeArchive(t, tt.archive)
			t.Chdir(dir)
			tt.opts.Environ = []string{}
			_, err := Load(context.Background(), abs(dir, tt.files), tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInput) {
				t.Errorf("error %v is not ErrInput", err)
			}
			msg := err.Error()
			if strings.Contains(msg, dir) {
				t.Errorf("error %q names files by absolute path, not relative to the working directory", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			// the same input gives the same message (compose-go picks one of several
			// schema errors at random)
			for range 5 {
				if _, again := Load(context.Background(), abs(dir, tt.files), tt.opts); again.Error() != msg {
					t.Fatalf("error %q, then %q", msg, again)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
		})
	}
}

func TestRepositories(t *testing.T) {
	dir := writeArchive(t, `
-- compose.yml --
services:
  a:
    image: nginx:1
  b:
    image: nginx:2
  c:
    image: registry.example.com/app@sha256:`+strings.Repeat("ab", 32)+`
  d:
    build: .
`)
	uses, err := Load(context.Background(), abs(dir, []string{"compose.yml"}), Options{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	got := Repositories(uses)
	want := []string{"docker.io/library/nginx", "registry.example.com/app"}
	if !slices.Equal(got, want) {
		t.Errorf("Repositories = %v, want %v", got, want)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("services:\n  web:\n    image: nginx\n"), []byte(""))
	f.Add([]byte("x: &a\n  image: n\nservices:\n  s:\n    <<: *a\n"), []byte("services:\n  s:\n    image: ${X:-y}\n"))
	f.Add([]byte("services:\n  s:\n    extends: t\n  t:\n    image: a@sha256:"+strings.Repeat("0", 64)+"\n"), []byte("services: {s: {build: .}}"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := t.TempDir()
		files := []string{filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yml")}
		if err := os.WriteFile(files[0], a, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(files[1], b, 0o644); err != nil {
			t.Fatal(err)
		}
		uses, err := Load(context.Background(), files, Options{Environ: []string{}})
		if err != nil {
			if !errors.Is(err, ErrInput) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: not a one-line input error", err)
			}
			return
		}
		for _, u := range uses {
			if u.BuildOnly != (u.Named == nil) {
				t.Fatalf("%+v: BuildOnly and Named disagree", u)
			}
		}
	})
}

func TestLoadSilencesLogrus(t *testing.T) {
	var buf strings.Builder
	l := logrus.StandardLogger()
	out, level := l.Out, l.GetLevel()
	l.SetOutput(&buf)
	l.SetLevel(logrus.InfoLevel)
	t.Cleanup(func() { l.SetOutput(out); l.SetLevel(level) })

	// compose-go warns that version is obsolete.
	dir := writeArchive(t, `
-- compose.yml --
version: "3.8"
services:
  web:
    image: nginx
`)
	if _, err := Load(context.Background(), abs(dir, []string{"compose.yml"}), Options{Environ: []string{}}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("compose-go logged %q", buf.String())
	}
	if l.Out != &buf || l.GetLevel() != logrus.InfoLevel {
		t.Error("logrus settings not restored")
	}
}

func TestLoadWarnsUnsetVariables(t *testing.T) {
	dir := writeArchive(t, `
-- compose.yml --
services:
  web:
    image: nginx:${TAG:-1}
    environment:
      A: ${UNSET_A}
      B: $UNSET_B and $$ESCAPED and ${SET}
      C: ${UNSET_A}
`)
	t.Chdir(dir)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
			return slog.Attr{}
		}
		return a
	}}))
	if _, err := Load(context.Background(), abs(dir, []string{"compose.yml"}), Options{Environ: []string{"SET=1"}, Log: log}); err != nil {
		t.Fatal(err)
	}
	want := `msg="compose.yml:5: variable UNSET_A is not set and reads as \"\": compose mode (auto: no swarm-only key): set it in the environment, in .env or with --env-file FILE"` + "\n" +
		`msg="compose.yml:6: variable UNSET_B is not set and reads as \"\": compose mode (auto: no swarm-only key): set it in the environment, in .env or with --env-file FILE"` + "\n"
	if buf.String() != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", buf.String(), want)
	}
}
