package dockertrust

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// trustCommand is `docker trust` with docker 28's subcommands.
func (e *env) trustCommand(name string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name,
		Short: "Manage trust on Docker images",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// docker prints the help of a command group to stderr and exits 0
			cmd.SetOut(e.streams.Err)
			return cmd.Help()
		},
	}
	key := &cobra.Command{
		Use:         "key",
		Short:       "Manage keys for signing Docker images",
		Args:        noArgs,
		Annotations: map[string]string{annotationManagement: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(e.streams.Err)
			return cmd.Help()
		},
	}
	key.AddCommand(e.keyGenerateCommand(), e.keyLoadCommand())
	signer := &cobra.Command{
		Use:         "signer",
		Short:       "Manage entities who can sign Docker images",
		Args:        noArgs,
		Annotations: map[string]string{annotationManagement: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(e.streams.Err)
			return cmd.Help()
		},
	}
	signer.AddCommand(e.signerAddCommand(), e.signerRemoveCommand())
	cmd.AddCommand(e.inspectCommand(), e.signCommand(), e.revokeCommand(), key, signer)
	return cmd
}

const annotationManagement = "management"

// Argument checks with docker's messages (cli/required.go). Their errors exit 1.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return fmt.Errorf("%s: unknown command: %s %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), args[0], cmd.UseLine(), cmd.CommandPath())
}

func requiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires at least %d %s\n\nUsage:  %s\n\nSee '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%s: '%s' requires %d %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine(), cmd.CommandPath())
	}
}

func pluralize(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func init() {
	cobra.AddTemplateFunc("managementSubCommands", func(c *cobra.Command) []*cobra.Command {
		return subCommands(c, true)
	})
	cobra.AddTemplateFunc("operationSubCommands", func(c *cobra.Command) []*cobra.Command {
		return subCommands(c, false)
	})
	cobra.AddTemplateFunc("trimRightSpace", func(s string) string { return strings.TrimRight(s, " \t\n") })
	cobra.AddTemplateFunc("wrappedFlagUsages", wrappedFlagUsages)
}

// wrappedFlagUsages wraps flag help to the terminal on stdin, 80 columns otherwise, as
// docker does.
func wrappedFlagUsages(f *pflag.FlagSet) string {
	width := 80
	if w, _, err := term.GetSize(0); err == nil && w > 0 {
		width = w
	}
	return f.FlagUsagesWrapped(width - 1)
}

func subCommands(c *cobra.Command, management bool) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && (sub.Annotations[annotationManagement] == "true") == management {
			out = append(out, sub)
		}
	}
	return out
}

// usageTemplate has the shape of docker's (cli/cobra.go).
const usageTemplate = `Usage:
{{- if not .HasSubCommands}}  {{.UseLine}}{{end}}
{{- if .HasSubCommands}}  {{ .CommandPath}}{{- if .HasAvailableFlags}} [OPTIONS]{{end}} COMMAND{{end}}

{{if ne .Long ""}}{{ .Long | trim }}{{ else }}{{ .Short | trim }}{{end}}
{{- if .HasExample}}

Examples:
{{ .Example }}
{{- end}}
{{- if .HasParent}}
{{- if .HasAvailableLocalFlags}}

Options:
{{ wrappedFlagUsages .LocalFlags | trimRightSpace}}
{{- end}}
{{- end}}
{{- if managementSubCommands . }}

Management Commands:
{{- range managementSubCommands . }}
  {{rpad .Name .NamePadding }} {{.Short}}
{{- end}}
{{- end}}
{{- if operationSubCommands . }}

Commands:
{{- range operationSubCommands . }}
  {{rpad .Name .NamePadding }} {{.Short}}
{{- end}}
{{- end}}
{{- if not .HasParent}}
{{- if .HasAvailableFlags}}

Global Options:
{{ wrappedFlagUsages .Flags | trimRightSpace}}
{{- end}}
{{- end}}
{{- if .HasSubCommands }}

Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{- end}}
`

const helpTemplate = `{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

// listValue is a repeatable string flag that docker's help calls a "list" (opts.ListOpts).
type listValue []string

func (l *listValue) Set(v string) error { *l = append(*l, v); return nil }
func (l *listValue) String() string     { return strings.Join(*l, " ") }
func (l *listValue) Type() string       { return "list" }
