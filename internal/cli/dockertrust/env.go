package dockertrust

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	dockerconfig "github.com/docker/cli/cli/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// env is the state of one invocation: streams, docker's global flags and what they
// select (config folder, logging).
type env struct {
	streams   Streams
	getenv    func(string) string
	in        *lineReader
	global    globalFlags
	configDir string
	log       *slog.Logger
	pass      *passphrases
}

// globalFlags are docker's global options. They come before the plugin's command.
// --config chooses the config folder (trust dir, credentials, TLS files); -D and -l set
// the log level; the daemon's options (-c, -H, --tls…) are handed to the docker push
// that sign runs, and mean nothing else here.
type globalFlags struct {
	config, logLevel string
	hosts            listValue
	debug            bool
}

func (g *globalFlags) register(root *cobra.Command) {
	// docker's global options are the root's own flags, parsed before the command
	// name (TraverseChildren), as in docker's plugin framework.
	f := root.Flags()
	f.StringVar(&g.config, "config", "", "Location of client config files")
	f.StringP("context", "c", "", "Name of the context to use to connect to the daemon")
	f.BoolVarP(&g.debug, "debug", "D", false, "Enable debug mode")
	f.VarP(&g.hosts, "host", "H", "Daemon socket to connect to")
	f.StringVarP(&g.logLevel, "log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	f.Bool("tls", false, "Use TLS; implied by --tlsverify")
	f.String("tlscacert", "", "Trust certs signed only by this CA")
	f.String("tlscert", "", "Path to TLS certificate file")
	f.String("tlskey", "", "Path to TLS key file")
	f.Bool("tlsverify", false, "Use TLS and verify the remote")
	root.PersistentFlags().BoolP("help", "h", false, "Print usage")
	root.PersistentFlags().Lookup("help").Hidden = true
}

// dockerArgs are the global flags given, for a docker command run on the user's behalf.
func (g *globalFlags) dockerArgs(root *cobra.Command) []string {
	var args []string
	root.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		if f.Value.Type() == "list" {
			for _, v := range g.hosts {
				args = append(args, "--"+f.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	return args
}

// setup applies the global flags once the command line is parsed.
func (e *env) setup() error {
	e.configDir = e.global.config
	if e.configDir == "" {
		e.configDir = e.getenv("DOCKER_CONFIG")
	}
	if e.configDir == "" {
		e.configDir = dockerconfig.Dir()
	}
	// docker logs at info by default, where trustctl's packages say nothing docker
	// would not; their warnings (refused delegations) are shown.
	level := slog.LevelWarn
	switch {
	case e.global.debug:
		level = slog.LevelDebug
	case e.global.logLevel == "debug":
		level = slog.LevelDebug
	case e.global.logLevel == "error" || e.global.logLevel == "fatal":
		level = slog.LevelError
	case e.global.logLevel == "info" || e.global.logLevel == "warn":
	default:
		return fmt.Errorf("Unable to parse logging level: %s", e.global.logLevel) // docker's words
	}
	e.log = slog.New(slog.NewTextHandler(e.streams.Err, &slog.HandlerOptions{Level: level}))
	e.pass = newPassphrases(e.getenv, e.in, e.streams.Out, e.terminal())
	return nil
}

// trustDir is docker's: <config folder>/trust.
func (e *env) trustDir() store.Dir { return store.Dir{Root: filepath.Join(e.configDir, "trust")} }

func (e *env) keyStore() *keys.Store { return keys.Open(e.trustDir(), e.pass) }

// image is a parsed IMAGE[:TAG] argument: what docker's GetImageReferencesAndAuth keeps.
type image struct {
	arg, gun, tag, digest string
}

func parseImage(arg string) (image, error) {
	ref, err := reference.ParseNormalizedNamed(arg)
	if err != nil {
		return image{}, err
	}
	im := image{arg: arg, gun: ref.Name()}
	if t, ok := ref.(reference.Tagged); ok {
		im.tag = t.Tag()
	}
	if d, ok := ref.(reference.Digested); ok {
		im.digest = d.Digest().String()
	}
	return im, nil
}

// host is the image's registry host (docker.io for Docker Hub).
func (im image) host() string { h, _, _ := strings.Cut(im.gun, "/"); return h }

// notaryServer is docker's trust.Server: DOCKER_CONTENT_TRUST_SERVER, which must be an
// https URL, else notary.docker.io for Docker Hub, else the registry host.
func (e *env) notaryServer(im image) (string, error) {
	if s := e.getenv("DOCKER_CONTENT_TRUST_SERVER"); s != "" {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" {
			return "", fmt.Errorf("valid https URL required for trust server, got %s", s)
		}
		return s, nil
	}
	if im.host() == "docker.io" {
		return "https://notary.docker.io", nil
	}
	return "https://" + im.host(), nil
}

// credentials are the registry's docker login, which docker presents to the notary
// server too; registry.Credential decides where they may actually go.
func (e *env) credentials(im image) registry.CredentialFunc {
	return registry.DockerCredentials(e.configDir, im.host())
}

// repository is the image's trust data in the trust dir and on the notary server.
// The server's certificate is always verified, against the system CAs and docker's
// <config>/tls/<server host>/*.crt: docker skips the check for loopback registries,
// plugin mode does not (docs/docker-trust.md).
func (e *env) repository(im image) (*client.Repository, error) {
	url, err := e.notaryServer(im)
	if err != nil {
		return nil, err
	}
	rc, err := server.New(url, im.gun, server.Options{
		DockerConfigDir: e.configDir,
		Credentials:     e.credentials(im),
		Logger:          e.log,
	})
	if err != nil {
		return nil, err
	}
	return client.New(e.trustDir(), im.gun, e.keyStore(), rc, client.Options{Logger: e.log}), nil
}

// registryClient is the client of the image's registry (digest lookups for sign).
func (e *env) registryClient(im image) (*registry.Client, string, error) {
	host, repo, ok := strings.Cut(im.gun, "/")
	if !ok {
		return nil, "", fmt.Errorf("repository %q has no registry host", im.gun)
	}
	c, err := registry.New(host, registry.Options{
		TLS:         registry.TLS{DockerConfigDir: e.configDir},
		Credentials: e.credentials(im),
		Logger:      e.log,
	})
	return c, repo, err
}

// terminal is stdin when it is a terminal.
func (e *env) terminal() *os.File {
	f, ok := e.streams.In.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	return f
}
