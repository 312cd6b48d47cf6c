package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

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

func (a *app) signCommand() *cobra.Command {
	var roleNames []string
	var digest string
	var size int64
	var initRepo bool
	cmd := &cobra.Command{
		Use:   "sign IMAGE:TAG...",
		Short: "Sign tags and publish them, like docker trust sign",
		Long: "Sign image tags into every delegation of the repository you hold a key for (releases and team " +
			"roles), or into targets when there are none, and publish them in one request per repository. " +
			"The digest and size of each tag come from the registry, or from --digest and --size. A repository " +
			"without trust data on the server is an error unless --init creates it first (like docker's first sign: " +
			"the trust dir's root key, a new targets key, the snapshot key on the server).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			guns, tags, roles, err := signingArgs(args, roleNames)
			if err != nil {
				return err
			}
			if (digest == "") != (size == 0) {
				return errors.New("--digest and --size go together")
			}
			for _, gun := range guns {
				creds, err := a.credentials(gun)
				if err != nil {
					return err
				}
				reg := client.Registry{Credentials: creds}
				targets := make([]client.Target, 0, len(tags[gun]))
				var bar progress = noProgress{} // the registry lookups are the slow part
				if digest == "" {
					bar = a.progress("resolving "+gun, len(tags[gun]))
				}
				for _, tag := range tags[gun] {
					t := client.Target{Name: tag, Digest: digest, Size: size}
					if digest == "" {
						if t, err = reg.Resolve(cmd.Context(), gun, tag); err != nil {
							bar.Done()
							return err
						}
						bar.Increment()
					}
					targets = append(targets, t)
				}
				bar.Done()
				r, err := a.onlineRepo(gun, client.Options{})
				if err != nil {
					return err
				}
				into, err := r.Sign(cmd.Context(), targets, roles)
				if errors.Is(err, client.ErrNotInitialized) && initRepo {
					// Like docker's first sign: create the repository, then sign into it.
					k, ierr := r.Init(cmd.Context(), client.InitOptions{})
					if ierr != nil {
						return fmt.Errorf("init %s: %w", gun, ierr)
					}
					a.printInit(gun, k)
					into, err = r.Sign(cmd.Context(), targets, roles)
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
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&roleNames, "role", "r", nil, "sign into these roles (releases, qa, targets/qa, targets) instead of every one you hold a key for")
	cmd.Flags().StringVar(&digest, "digest", "", "manifest digest (sha256:…) to sign instead of asking the registry")
	cmd.Flags().Int64Var(&size, "size", 0, "manifest size in bytes, with --digest")
	cmd.Flags().BoolVar(&initRepo, "init", false, "initialise a repository that has no trust data on the server, then sign")
	return cmd
}

func roleList(roles []string) string { return strings.Join(roles, ", ") }
