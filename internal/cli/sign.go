package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/client"
)

// signingArgs reads the IMAGE:TAG arguments (grouped by repository, in argument order)
// and the --role values of sign and revoke.
func signingArgs(args, roleNames []string) (guns []string, tags map[string][]string, roles []string, err error) {
	if guns, tags, err = tagsByRepo(args); err != nil {
		return nil, nil, nil, err
	}
	roles, err = roleFlags(roleNames)
	return guns, tags, roles, err
}

// tagsByRepo groups IMAGE:TAG arguments by repository, in argument order.
func tagsByRepo(args []string) ([]string, map[string][]string, error) {
	var guns []string
	tags := map[string][]string{}
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return nil, nil, err
		}
		if ref.tag == "" || ref.digest != "" {
			return nil, nil, fmt.Errorf("give IMAGE:TAG, not %s", arg)
		}
		if _, ok := tags[ref.gun]; !ok {
			guns = append(guns, ref.gun)
		}
		if !slices.Contains(tags[ref.gun], ref.tag) {
			tags[ref.gun] = append(tags[ref.gun], ref.tag)
		}
	}
	return guns, tags, nil
}

// roleFlags turns --role values into role names.
func roleFlags(names []string) ([]string, error) {
	roles := make([]string, 0, len(names))
	for _, n := range names {
		r, err := delegationRole(n)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

// signTargets reads sign's arguments: IMAGE:TAG (the registry gives digest and size)
// or IMAGE:TAG@sha256:HEX with one --size per such argument, in order, as notary's
// addhash takes a size per tag. The single --digest of older scripts names one tag only:
// giving it to several would sign them all with one manifest.
func signTargets(args []string, digest string, sizes []int64) (guns []string, targets map[string][]client.Target, err error) {
	if digest != "" {
		if len(args) != 1 {
			return nil, nil, fmt.Errorf("--digest names the manifest of one tag, not of %d: give IMAGE:TAG@sha256:… --size N for each", len(args))
		}
		args = []string{args[0] + "@" + digest}
	}
	targets = map[string][]client.Target{}
	used := 0
	for _, arg := range args {
		ref, err := parseImageRef(arg)
		if err != nil {
			return nil, nil, err
		}
		if ref.tag == "" {
			return nil, nil, fmt.Errorf("give IMAGE:TAG or IMAGE:TAG@sha256:…, not %s", arg)
		}
		t := client.Target{Name: ref.tag, Digest: ref.digest}
		if ref.digest != "" {
			if used == len(sizes) {
				return nil, nil, fmt.Errorf("%s: give its manifest size with --size (one per IMAGE:TAG@DIGEST argument, in order)", arg)
			}
			t.Size = sizes[used]
			used++
		}
		i := slices.IndexFunc(targets[ref.gun], func(o client.Target) bool { return o.Name == t.Name })
		switch {
		case i < 0:
			if len(targets[ref.gun]) == 0 {
				guns = append(guns, ref.gun)
			}
			targets[ref.gun] = append(targets[ref.gun], t)
		case targets[ref.gun][i] != t:
			return nil, nil, fmt.Errorf("%s:%s is given twice with different manifests", ref.gun, t.Name)
		}
	}
	if used != len(sizes) {
		return nil, nil, fmt.Errorf("%d --size for %d IMAGE:TAG@DIGEST arguments: give one per argument that carries a digest", len(sizes), used)
	}
	return guns, targets, nil
}

func (a *app) signCommand() *cobra.Command {
	var roleNames []string
	var digest string
	var sizes []int64
	var initRepo bool
	cmd := &cobra.Command{
		Use:   "sign IMAGE:TAG[@sha256:DIGEST]... [--size N]...",
		Short: "Sign tags and publish them, like docker trust sign",
		Long: "Sign image tags into every delegation of the repository you hold a key for (releases and team " +
			"roles), or into targets when there are none, and publish them in one request per repository. " +
			"The digest and size of IMAGE:TAG come from the registry; IMAGE:TAG@sha256:DIGEST signs that manifest " +
			"without asking the registry, with its size from --size (one --size per such argument, in order). " +
			"A repository without trust data on the server is an error unless --init creates it first (like " +
			"docker's first sign: the trust dir's root key, a new targets key, the snapshot key on the server).",
		Example: "  trustctl sign registry.example.com/app:1.0\n" +
			"  trustctl sign registry.example.com/app:1.0@sha256:4f2c… --size 1570 registry.example.com/app:latest@sha256:4f2c… --size 1570\n" +
			"  trustctl sign --role releases --init registry.example.com/new:1.0",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			guns, targets, err := signTargets(args, digest, sizes)
			if err != nil {
				return err
			}
			roles, err := roleFlags(roleNames)
			if err != nil {
				return err
			}
			for _, gun := range guns {
				if err := a.signRepository(cmd.Context(), gun, targets[gun], roles, initRepo); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&roleNames, "role", "r", nil, "sign into these roles (releases, qa, targets/qa, targets) instead of every one you hold a key for")
	cmd.Flags().StringVar(&digest, "digest", "", "manifest digest (sha256:…) of the one IMAGE:TAG given; IMAGE:TAG@sha256:… says the same per argument")
	cmd.Flags().Int64SliceVar(&sizes, "size", nil, "manifest size in bytes of each IMAGE:TAG@DIGEST argument (or of --digest), in order (repeatable)")
	cmd.Flags().BoolVar(&initRepo, "init", false, "initialise a repository that has no trust data on the server, then sign")
	return cmd
}

// signRepository looks up the tags without a digest in the registry, then signs all
// of one repository in one publish.
func (a *app) signRepository(ctx context.Context, gun string, targets []client.Target, roles []string, initRepo bool) error {
	reg, repo, err := a.registry(gun)
	if err != nil {
		return err
	}
	var bar progress = noProgress{} // the registry lookups are the slow part
	lookups := 0
	for _, t := range targets {
		if t.Digest == "" {
			lookups++
		}
	}
	if lookups > 0 {
		bar = a.progress("resolving "+gun, lookups)
	}
	for i, t := range targets {
		if t.Digest != "" {
			continue
		}
		d, err := reg.Resolve(ctx, repo, t.Name)
		if err != nil {
			bar.Done()
			return fmt.Errorf("resolve %s:%s: %w", gun, t.Name, err)
		}
		targets[i].Digest, targets[i].Size = d.Digest, d.Size
		bar.Increment()
	}
	bar.Done()
	r, err := a.onlineRepo(gun, client.Options{})
	if err != nil {
		return err
	}
	into, err := r.Sign(ctx, targets, roles)
	if errors.Is(err, client.ErrNotInitialized) && initRepo {
		// Like docker's first sign: create the repository, then sign into it.
		k, ierr := r.Init(ctx, client.InitOptions{})
		if ierr != nil {
			return fmt.Errorf("init %s: %w", gun, ierr)
		}
		report.InitKeys(a.streams.Out, gun, k)
		into, err = r.Sign(ctx, targets, roles)
	}
	if errors.Is(err, client.ErrNotInitialized) {
		err = fmt.Errorf("%w, or sign with --init", err)
	}
	if err != nil {
		return fmt.Errorf("sign %s: %w", gun, err)
	}
	for _, t := range targets {
		fmt.Fprintf(a.streams.Out, "Signed %s:%s %s (%d bytes) into %s\n", gun, t.Name, t.Digest, t.Size, roleList(into[t.Name]))
	}
	return nil
}

func roleList(roles []string) string { return strings.Join(roles, ", ") }
