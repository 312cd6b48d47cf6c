package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// formatsAnnotation lists, in a command's annotations, the -o/--output formats it
// writes; a command without it has no output format to choose.
const formatsAnnotation = "trustctl/output-formats"

// withFormats declares the -o formats of cmd, the default first.
func withFormats(cmd *cobra.Command, formats ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formatsAnnotation] = strings.Join(formats, ",")
	return cmd
}

// outputFormats are the -o formats of cmd, nil when it has none.
func outputFormats(cmd *cobra.Command) []string {
	if f := cmd.Annotations[formatsAnnotation]; f != "" {
		return strings.Split(f, ",")
	}
	return nil
}

// checkOutput refuses an -o format the command does not write, instead of ignoring it.
// A format from the environment or the config file is ignored by commands without
// formats, so that one setting can serve all.
func checkOutput(cmd *cobra.Command, format string) error {
	formats := outputFormats(cmd)
	switch {
	case format == "":
	case len(formats) == 0 && cmd.Flags().Changed("output"):
		return usageError(cmd, fmt.Errorf("-o/--output %q: this command has no output formats%s", format, outputHint(cmd)))
	case len(formats) > 0 && !slices.Contains(formats, format):
		return usageError(cmd, fmt.Errorf("--output %q: want %s", format, strings.Join(formats, " or ")))
	}
	return nil
}

// outputHint points to what a user of -o FILE or -o FORMAT wanted.
func outputHint(cmd *cobra.Command) string {
	switch {
	case cmd.Flags().Lookup("format") != nil:
		return " (report formats: --format)"
	case cmd.Flags().Lookup("output-file") != nil:
		return " (name the file with --output-file)"
	}
	return ""
}

// outputFormat is the -o format in force for cmd: the one set, else its default.
func (a *app) outputFormat(cmd *cobra.Command) string {
	if f := a.cfg.GetString("output"); f != "" {
		return f // checkOutput accepted it
	}
	if formats := outputFormats(cmd); len(formats) > 0 {
		return formats[0]
	}
	return ""
}
