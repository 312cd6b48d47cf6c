package cli

import (
	"context"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/repo"
)

// inspectOptions are the flags of inspect.
type inspectOptions struct {
	read    readFlags
	pretty  bool
	offline bool
}

func (a *app) inspectCommand() *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use:     "inspect IMAGE...",
		Example: "  trustctl inspect registry.example.com/team/app:1.0\n  trustctl inspect --pretty registry.example.com/team/app\n  trustctl inspect registry.example.com/team/app@sha256:4f2c…",
		Short:   "Show who signed an image, like docker trust inspect",
		Long: "Show the signed tags, signers and administrative keys of images or repositories from their " +
			"verified trust data: the JSON of `docker trust inspect` plus each role's expiry and how " +
			"the root is trusted (pinned, or trust-on-first-use). IMAGE@sha256:… shows the tags signed with that digest. " +
			"The trust data is fetched first when a notary server is named (--server, DOCKER_CONTENT_TRUST_SERVER " +
			"or the config); otherwise, and with --offline, the trust dir's copy is read and its age shown.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.pretty = o.pretty || a.outputFormat(cmd) == outputTable
			return a.inspect(cmd.Context(), o, args)
		},
	}
	o.read.register(cmd)
	cmd.Flags().BoolVar(&o.pretty, "pretty", false, "print docker's human-readable tables (the same as -o table)")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "read the trust dir only, even when a notary server is named")
	return withFormats(cmd, outputJSON, outputTable)
}

// inspect shows each image in the order given, verifying each repository once.
func (a *app) inspect(ctx context.Context, o inspectOptions, images []string) error {
	opts, err := o.read.options()
	if err != nil {
		return err
	}
	refs := make([]imageRef, 0, len(images))
	for _, arg := range images {
		ref, err := parseImageRef(arg)
		if err != nil {
			return err
		}
		refs = append(refs, ref)
	}
	repos := map[string]*repo.Repo{} // verified once per repository
	var out []report.InspectEntry
	for i, ref := range refs {
		r, ok := repos[ref.gun]
		if !ok {
			if r, err = a.viewRepo(ctx, ref.gun, opts, o.offline); err != nil {
				return err
			}
			repos[ref.gun] = r
		}
		in := r.Inspect(ref.tag)
		if ref.digest != "" {
			in.SignedTags = slices.DeleteFunc(in.SignedTags, func(t repo.SignedTag) bool { return "sha256:"+t.Digest != ref.digest })
		}
		if o.pretty {
			if err := report.InspectPretty(a.streams.Out, images[i], in); err != nil {
				return err
			}
			continue
		}
		out = append(out, report.NewInspectEntry(images[i], in))
	}
	if o.pretty {
		return nil
	}
	return report.InspectJSON(a.streams.Out, out)
}
