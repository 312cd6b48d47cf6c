// Package dockertrust is trustctl as the docker CLI plugin docker-trust: docker 28's
// `docker trust` command surface (names, argument order, flags, prompts, messages and
// exit codes) over the operations trustctl's own commands use (internal/trust/client,
// repo, keys, report). It adapts; it never signs or inspects by itself.
//
// docker runs a plugin as `docker-trust [GLOBAL FLAGS] trust …` (its whole argv), asks
// it `docker-cli-plugin-metadata` first, and passes `help trust …` and
// `__complete trust …` through. See docs/docker-trust.md.
package dockertrust

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/docker/cli/cli-plugins/metadata"
	"github.com/spf13/cobra"
)

// version is set by the release build (-ldflags "-X …/dockertrust.version=v1.2.3").
var version = "dev"

// pluginName is docker's rule for plugin names (cli-plugins/manager).
var pluginName = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// Streams are the process's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// PluginName returns the command name when the executable is named like a docker CLI
// plugin: docker-trust → trust. docker finds plugins by that name, so it chooses the
// mode, and a copy named docker-trusttest answers as `docker trusttest`.
func PluginName(argv0 string) (string, bool) {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	name, ok := strings.CutPrefix(base, metadata.NamePrefix)
	return name, ok && pluginName.MatchString(name)
}

// Main runs the plugin command name with docker's argv (without argv[0]) and returns
// the exit code docker would: 0, 1 for errors, 125 for flag errors.
func Main(ctx context.Context, name string, args []string, streams Streams, getenv func(string) string) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopOnSocketClose(getenv, cancel)
	e := &env{streams: streams, getenv: getenv, in: newLineReader(streams.In)}
	root := e.rootCommand(name)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	err := root.ExecuteContext(ctx)
	return exitCode(streams.Err, err)
}

// exitCode prints err as docker's main does and returns its status.
func exitCode(w io.Writer, err error) int {
	var st statusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &st):
		if st.msg != "" {
			fmt.Fprintln(w, st.msg)
		}
		return st.code
	case errors.Is(err, errCancelled):
		// docker exits 0 silently when a confirmation is answered no.
		return 0
	}
	fmt.Fprintln(w, err)
	return 1
}

// statusError carries docker's exit status with its message (cli.StatusError).
type statusError struct {
	code int
	msg  string
}

func (e statusError) Error() string { return e.msg }

// errCancelled: the user answered no to a confirmation.
var errCancelled = errors.New("cancelled")

// rootCommand is docker's root as a plugin sees it: docker's global flags, then the
// plugin's command (trust), the metadata command, help and completion.
func (e *env) rootCommand(name string) *cobra.Command {
	root := &cobra.Command{
		Use:               "docker [OPTIONS] COMMAND [ARG...]",
		Short:             "A self-sufficient runtime for containers",
		SilenceUsage:      true,
		SilenceErrors:     true,
		TraverseChildren:  true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(*cobra.Command, []string) error { return e.setup() },
	}
	e.global.register(root)
	root.SetFlagErrorFunc(flagError)
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpTemplate(helpTemplate)
	root.AddCommand(metadataCommand(), e.trustCommand(name))
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Hidden = true
		}
	}
	visitAll(root, func(c *cobra.Command) { c.DisableFlagsInUseLine = true })
	return root
}

func visitAll(c *cobra.Command, f func(*cobra.Command)) {
	for _, sub := range c.Commands() {
		visitAll(sub, f)
	}
	f(c)
}

// flagError is docker's FlagErrorFunc: the usage line and exit status 125.
func flagError(cmd *cobra.Command, err error) error {
	return statusError{code: 125, msg: fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information",
		err, cmd.UseLine(), cmd.CommandPath())}
}

// metadataCommand answers docker's discovery call. SchemaVersion stays 0.1.0: docker
// before 28.5 refuses any other.
func metadataCommand() *cobra.Command {
	return &cobra.Command{
		Use:    metadata.MetadataSubcommandName,
		Hidden: true,
		Args:   cobra.NoArgs,
		// docker's global flags are not parsed for this call, and no setup runs.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "     ")
			return enc.Encode(metadata.Metadata{
				SchemaVersion:    "0.1.0",
				Vendor:           "trustctl",
				Version:          buildVersion(),
				ShortDescription: "Manage trust on Docker images (Docker Content Trust, by trustctl)",
				URL:              "https://github.com/trustctl/trustctl",
			})
		},
	}
}

func buildVersion() string {
	if version == "dev" {
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
		}
	}
	return version
}
