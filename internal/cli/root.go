// Package cli wires trustctl's commands: cobra for the command tree, one viper instance
// for configuration. Each command lives in its own file and only translates flags into a
// call of an internal package.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	dockerconfig "github.com/docker/cli/cli/config"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// Streams are the process's standard streams, injected so that tests can drive commands.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// app is the state shared by the commands of one invocation.
type app struct {
	streams Streams
	getenv  func(string) string
	cfg     *viper.Viper
	log     *slog.Logger
	// notaryAuthIgnored warns once that NOTARY_AUTH is not sent to a guessed server.
	notaryAuthIgnored sync.Once
}

// Output formats of listing commands.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// Execute runs trustctl with args and returns the process exit code (docs/exit-codes.md).
func Execute(ctx context.Context, args []string, streams Streams, getenv func(string) string) int {
	a := &app{streams: streams, getenv: getenv, cfg: viper.New()}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	if !alreadyShown(err) {
		fmt.Fprintf(streams.Err, "trustctl: %s\n", oneLine(err.Error()))
	}
	return exitCode(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "trustctl",
		Example:       "  trustctl fetch -f stack.yml && trustctl verify stack.yml --policy policy.yml\n  trustctl sign registry.example.com/team/app:1.0",
		Short:         "Docker Content Trust and Notary v1 without docker trust",
		Long:          "trustctl signs images, manages delegations and keys, and verifies deployments against Notary v1 trust data (~/.docker/trust).",
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version, as docker, notary and cosign users type it
		Version: versionLine(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadConfig(cmd)
		},
	}
	flags := root.PersistentFlags()
	flags.StringP("trust-dir", "d", "", "trust directory (default <DOCKER_CONFIG or ~/.docker>/trust)")
	flags.StringP("server", "s", "", "Notary server URL (default $DOCKER_CONTENT_TRUST_SERVER)")
	flags.String("tlscacert", "", "CA certificate file for the Notary server")
	flags.String("config", "", "config file (default $XDG_CONFIG_HOME/trustctl/config.yaml when present)")
	flags.StringP("output", "o", "", "output format of commands that print data: table|json (default: the command's own)")
	flags.String("log-level", "warn", "log level: debug|info|warn|error (debug adds the detail of each step)")
	flags.String("log-format", "text", "log format on stderr: text (one line per message) or json (structured, for machines)")

	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		a.versionCommand(),
		a.completionCommand(),
		a.keyCommand(),
		a.bundleCommand(),
		a.inspectCommand(),
		a.listCommand(),
		a.verifyCommand(),
		a.resolveCommand(),
		a.pinCommand(),
		a.policyCommand(),
		a.initCommand(),
		a.signCommand(),
		a.revokeCommand(),
		a.delegateCommand(),
		a.fetchCommand(),
		a.migrateCommand(),
		a.verifyEvidenceCommand(),
	)
	applyConventions(root)
	return root
}

// loadConfig resolves every setting with viper's precedence, which is the one users
// expect: flag > TRUSTCTL_* variable > config file > default.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.cfg
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	v.SetEnvPrefix("TRUSTCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	file := v.GetString("config")
	if file == "" {
		file = a.defaultConfigFile()
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("read config %s: %w", file, err)
		}
	}
	log, err := newLogger(a.streams.Err, v.GetString("log-level"), v.GetString("log-format"))
	if err != nil {
		return err
	}
	a.log = log
	a.log.Debug("settings", "command", cmd.CommandPath(), "config", file, "trust-dir", a.trustDir(), "server", a.server())
	return checkOutput(cmd, v.GetString("output"))
}

// defaultConfigFile is $XDG_CONFIG_HOME/trustctl/config.yaml (or ~/.config/…) when it exists.
func (a *app) defaultConfigFile() string {
	base := a.getenv("XDG_CONFIG_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	file := filepath.Join(base, "trustctl", "config.yaml")
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	return file
}

// trustDir is --trust-dir, else docker's: $DOCKER_CONFIG/trust or ~/.docker/trust.
func (a *app) trustDir() string {
	if d := a.cfg.GetString("trust-dir"); d != "" {
		return d
	}
	return filepath.Join(dockerconfig.Dir(), "trust")
}

// server is --server, else DOCKER_CONTENT_TRUST_SERVER like docker.
func (a *app) server() string {
	if s := a.cfg.GetString("server"); s != "" {
		return s
	}
	return a.getenv("DOCKER_CONTENT_TRUST_SERVER")
}

func (a *app) jsonOutput(cmd *cobra.Command) bool { return a.outputFormat(cmd) == outputJSON }

// oneLine keeps error messages on one line, whatever a library put in them.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
