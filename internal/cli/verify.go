package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/exitcode"
	"github.com/trustctl/trustctl/internal/gate"
	"github.com/trustctl/trustctl/internal/pin"
	"github.com/trustctl/trustctl/internal/policy"
	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/stack"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// verifyOptions are the flags of verify.
type verifyOptions struct {
	policyFile string
	now        string
	mode       string
	profiles   []string
	envFiles   []string
	outputs    *report.Outputs
	pinFile    string
	evidence   bool
}

func (a *app) verifyCommand() *cobra.Command {
	o := verifyOptions{outputs: report.NewOutputs()}
	cmd := &cobra.Command{
		Use:     "verify FILE... --policy POLICY",
		Example: "  trustctl verify stack.yml --policy policy.yml\n  trustctl verify compose.yml override.yml --policy policy.yml --format sarif --output-file trust.sarif --format table",
		Short:   "Check every image of compose or stack files against a policy, offline",
		Long: "Verify the images of compose or stack files (merged like `docker stack deploy -c a -c b`) " +
			"against a policy, from the trust dir alone: each repository's trust data is verified once, " +
			"then each image use is decided. Exit codes: 0 pass, 1 policy violation, 2 bad input, " +
			"3 trust data error (docs/exit-codes.md).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.verify(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.policyFile, "policy", "", "policy file (docs/policy.md)")
	f.StringVar(&o.now, "now", "", "judge expiry and exceptions at this time (RFC 3339) instead of now")
	f.StringVar(&o.mode, "mode", "auto", "stack (never reads .env, like docker stack deploy), compose (reads .env), or auto "+
		"(stack when a swarm-only key is set, such as deploy.placement or deploy.update_config: docs/stack-files.md)")
	f.StringSliceVar(&o.profiles, "profile", nil, "compose profiles to activate")
	f.StringSliceVar(&o.envFiles, "env-file", nil, "environment files for interpolation")
	f.Var(orderedFlag(o.outputs.AddFormat), "format", "report format: table (default), json, junit, sarif, github (repeatable)")
	f.Var(orderedFlag(o.outputs.AddFile), "output-file", "file for the --format just before it, else the format its extension names: .json, .sarif, .xml (JUnit) (repeatable; one format may go to stdout)")
	f.StringVar(&o.pinFile, "pin-file", "", "on a pass, write a compose override pinning every verified image to name:tag@digest "+
		"(deploy with -c FILE... -c PINFILE); on any other verdict, remove it")
	f.BoolVar(&o.evidence, "evidence", false, "also count the Notary v1 signatures that `migrate --evidence` kept and `fetch --evidence` downloaded, "+
		"re-verified offline as of their time of migration (as trust.sources: [..., evidence] does)")
	cmd.MarkFlagRequired("policy")
	return cmd
}

// verify runs the gate and writes its reports; with --pin-file, a pass writes the
// override and anything else removes an old one.
func (a *app) verify(ctx context.Context, o verifyOptions, files []string) error {
	if o.pinFile != "" {
		if err := pin.CheckTarget(o.pinFile, files); err != nil {
			return err
		}
	}
	err := a.runVerify(ctx, o, files)
	if err != nil && o.pinFile != "" {
		// a gate that did not pass leaves nothing pinned for the next step
		err = errors.Join(err, pin.Remove(o.pinFile))
	}
	return err
}

func (a *app) runVerify(ctx context.Context, o verifyOptions, files []string) error {
	at, err := parseNow(o.now)
	if err != nil {
		return err
	}
	stackMode, err := parseStackMode(o.mode)
	if err != nil {
		return err
	}
	outs, err := o.outputs.List()
	if err != nil {
		return err
	}
	pol, err := policy.Load(o.policyFile)
	if err != nil {
		return err
	}
	if o.evidence {
		pol = pol.WithEvidence()
	}
	trustDir := store.Dir{Root: a.trustDir()}
	a.warnAll(trustDir.PermissionWarnings())
	decisions, err := gate.Run(ctx, gate.Options{
		Files:    files,
		Stack:    stack.Options{Mode: stackMode, Profiles: o.profiles, EnvFiles: o.envFiles, Log: a.log},
		Policy:   pol,
		TrustDir: trustDir,
		Now:      at,
		Log:      a.log,
	})
	if err != nil {
		return err
	}
	relativeSources(decisions)
	rep := report.VerifyReport{Decisions: decisions, Policy: o.policyFile, Files: files, Now: at, Tool: "trustctl " + version}
	for _, out := range outs {
		if err := a.writeReport(out, rep); err != nil {
			return err
		}
	}
	// The reports are written: the error is only the summary, of the worst result's
	// kind, and it is not repeated under a table that ends with it.
	if kind := policy.Worst(decisions).Kind(); kind != nil {
		summary := errors.New(report.SummaryLine(decisions))
		if slices.Contains(outs, report.Output{Format: report.FormatTable}) {
			summary = shown(summary)
		}
		return exitcode.Mark(kind, summary)
	}
	if o.pinFile == "" {
		return nil
	}
	return writePinFile(o.pinFile, files, pin.Override{Decisions: decisions, Policy: o.policyFile, Time: at, Tool: "trustctl " + version})
}

// relativeSources names files relative to the working directory when they are below
// it: code-scanning annotations (SARIF, GitHub) need repository-relative paths.
func relativeSources(ds []policy.Decision) {
	wd, err := os.Getwd()
	if err != nil {
		return
	}
	for i := range ds {
		if !filepath.IsAbs(ds[i].Source.File) {
			continue
		}
		if rel, err := filepath.Rel(wd, ds[i].Source.File); err == nil && filepath.IsLocal(rel) {
			ds[i].Source.File = rel
		}
	}
}

func parseStackMode(s string) (stack.Mode, error) {
	switch s {
	case "auto":
		return stack.ModeAuto, nil
	case "stack":
		return stack.ModeStack, nil
	case "compose":
		return stack.ModeCompose, nil
	}
	return 0, fmt.Errorf("--mode %q: want stack, compose or auto", s)
}

// orderedFlag is a repeatable flag whose values are handed over in command-line order,
// so that --format and --output-file can be paired by position.
type orderedFlag func(string) error

func (f orderedFlag) Set(s string) error { return f(s) }
func (f orderedFlag) String() string     { return "" }
func (f orderedFlag) Type() string       { return "string" }

func (a *app) writeReport(out report.Output, rep report.VerifyReport) error {
	if out.File == "" {
		return report.RenderVerify(a.streams.Out, out.Format, rep)
	}
	return a.writeFileWith(out.File, func(w io.Writer) error { return report.RenderVerify(w, out.Format, rep) })
}

// writeFileWith renders into a file atomically: a half-written report never replaces
// an earlier one (see writeOutputFile for /dev/stdout, devices, FIFOs and symlinks).
func (a *app) writeFileWith(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if err := a.writeOutputFile(path, buf.Bytes(), publicFilePerm); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// writePinFile writes the override of a passing verdict, with the files' version.
func writePinFile(path string, files []string, o pin.Override) error {
	v, err := stack.Version(files)
	if err != nil {
		return err
	}
	o.Version = v
	data, err := pin.Render(o)
	if err != nil {
		return err
	}
	return pin.Write(path, data)
}
