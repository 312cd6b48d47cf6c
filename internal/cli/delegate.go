package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/bundle"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (a *app) delegateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delegate",
		Example: "  trustctl delegate list registry.example.com/team/app\n  trustctl delegate add registry.example.com/team/app qa --cert alice.crt",
		Short:   "Manage the delegations (signers) of a repository",
		// docker trust's name for them
		SuggestFor: []string{"signer", "signers"},
	}
	cmd.AddCommand(a.delegateAddCommand(), a.delegateListCommand(), a.delegateRemoveCommand())
	return cmd
}

func (a *app) delegateAddCommand() *cobra.Command {
	var certs, bundles, paths []string
	var allPaths, noReleases bool
	cmd := &cobra.Command{
		Use:     "add REPOSITORY NAME (--cert FILE | --bundle BUNDLE)...",
		Example: "  trustctl delegate add registry.example.com/team/app qa --cert alice.crt --cert bob.pub\n  trustctl delegate add registry.example.com/team/app ci --bundle ci-bundle.zip --paths ci- --no-releases\n  trustctl delegate add registry.example.com/team/app qa --cert carol.crt   # keeps the paths qa already has",
		Short:   "Delegate signing to keys, like docker trust signer add",
		Long: "Delegate the role targets/NAME to the keys of certificates or public keys (--cert) and of client " +
			"bundles (--bundle), and publish. A team role's keys also join targets/releases, as docker does " +
			"(--no-releases skips that). A new role may sign all paths unless --paths restricts it; adding keys to an " +
			"existing role keeps its paths unless --paths or --all-paths adds to them, as notary delegation add does.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, role, err := delegationArgs(args)
			if err != nil {
				return err
			}
			if allPaths && len(paths) > 0 {
				return errors.New("--paths and --all-paths exclude each other")
			}
			if allPaths {
				paths = []string{""}
			}
			var keys []tuf.PublicKey
			for _, f := range certs {
				k, err := client.ReadDelegationKey(f, time.Now())
				if err != nil {
					return err
				}
				keys = append(keys, k)
			}
			for _, b := range bundles {
				bu, err := bundle.Open(b)
				if err != nil {
					return err
				}
				k, err := client.CertificateKey(bu.Cert, b, time.Now())
				if err != nil {
					return err
				}
				keys = append(keys, k)
			}
			if len(keys) == 0 {
				return errors.New("give the delegate's keys with --cert or --bundle")
			}
			r, err := a.onlineRepo(gun, client.Options{})
			if err != nil {
				return err
			}
			releases := !noReleases && role != client.ReleasesRole
			if err := r.AddDelegation(cmd.Context(), role, keys, paths, releases); err != nil {
				return fmt.Errorf("delegate %s of %s: %w", role, gun, err)
			}
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i], _ = k.CanonicalID()
			}
			fmt.Fprintf(a.streams.Out, "Added %s to %s with keys %s\n", role, gun, strings.Join(ids, ", "))
			if releases {
				fmt.Fprintf(a.streams.Out, "Added the keys to %s\n", client.ReleasesRole)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&certs, "cert", nil, "PEM certificate or public key of a delegate (repeatable)")
	f.StringSliceVar(&bundles, "bundle", nil, "MKE/UCP client bundle (zip or folder) of a delegate (repeatable)")
	f.StringSliceVar(&paths, "paths", nil, "path prefixes the role may sign, added to an existing role's (a new role defaults to all)")
	f.BoolVar(&allPaths, "all-paths", false, "the role may sign every tag (the default for a new role; widens an existing one)")
	f.BoolVar(&noReleases, "no-releases", false, "do not add the keys to targets/releases")
	return cmd
}

// delegationName is a signer name (qa) or role (targets/qa); docker's rule for names
// of direct delegations applies, and "releases" is accepted only as the release role.
// delegationArgs reads the REPOSITORY NAME arguments of the delegate commands.
func delegationArgs(args []string) (gun, role string, err error) {
	if gun, err = parseGUN(args[0]); err != nil {
		return "", "", err
	}
	role, err = delegationName(args[1])
	return gun, role, err
}

func delegationName(name string) (string, error) {
	role, err := delegationRole(name)
	if err != nil {
		return "", err
	}
	if role == tuf.RoleTargets {
		return "", errors.New("targets is not a delegation")
	}
	return role, nil
}

func (a *app) delegateListCommand() *cobra.Command {
	var now string
	var offline bool
	cmd := &cobra.Command{
		Use:     "list REPOSITORY",
		Example: "  trustctl delegate list registry.example.com/team/app\n  trustctl delegate list registry.example.com/team/app --offline -o json",
		Short:   "List the delegations of a repository, like notary delegation list",
		Long: "List the repository's delegations with canonical key IDs, as notary delegation list does. The trust data " +
			"is fetched first when a notary server is named (--server, DOCKER_CONTENT_TRUST_SERVER or the config); " +
			"otherwise, and with --offline, the trust dir's copy is read and its age shown.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, err := parseGUN(args[0])
			if err != nil {
				return err
			}
			at, err := parseNow(now)
			if err != nil {
				return err
			}
			r, err := a.viewRepo(cmd.Context(), gun, repo.Options{Now: at}, offline)
			if err != nil {
				return err
			}
			return a.printDelegations(cmd, client.Delegations(r.Metadata()))
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "judge expiry at this time (RFC 3339) instead of now")
	cmd.Flags().BoolVar(&offline, "offline", false, "read the trust dir only, even when a notary server is named")
	return withFormats(cmd, outputTable, outputJSON)
}

func (a *app) printDelegations(cmd *cobra.Command, ds []client.Delegation) error {
	type delegationJSON struct {
		Role      string   `json:"role"`
		Paths     []string `json:"paths"`
		KeyIDs    []string `json:"keyIds"`
		Threshold int      `json:"threshold"`
	}
	return writeListing(a, cmd, ds, []string{"ROLE", "PATHS", "KEY IDS", "THRESHOLD"},
		func(d client.Delegation) []string {
			paths := make([]string, len(d.Paths))
			for i, p := range d.Paths {
				paths[i] = strconv.Quote(p)
				if p == "" {
					paths[i] += " <all paths>"
				}
			}
			return []string{d.Role, strings.Join(paths, ","), strings.Join(d.KeyIDs, "\n"), strconv.Itoa(d.Threshold)}
		},
		func(d client.Delegation) any { return delegationJSON{d.Role, d.Paths, d.KeyIDs, d.Threshold} })
}

func (a *app) delegateRemoveCommand() *cobra.Command {
	var keyIDs []string
	var keepReleases, yes bool
	cmd := &cobra.Command{
		Use:     "remove REPOSITORY NAME [--key ID...]",
		Example: "  trustctl delegate remove registry.example.com/team/app qa\n  trustctl delegate remove registry.example.com/team/app qa --key 3bedec58b0d2 --yes",
		Short:   "Delete a delegation, or remove keys from it, like docker trust signer remove",
		Long: "Delete the role targets/NAME (or, with --key, only those keys from it) and publish. The keys that " +
			"leave a team role leave targets/releases too, unless another team role still has them " +
			"(--keep-releases skips that). When that leaves tags unsigned (the role's own, or every released tag when " +
			"targets/releases is no longer validly signed), it lists them and asks on a terminal; otherwise it needs --yes.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			gun, role, err := delegationArgs(args)
			if err != nil {
				return err
			}
			r, err := a.onlineRepo(gun, client.Options{})
			if err != nil {
				return err
			}
			fromReleases, err := r.RemoveDelegation(cmd.Context(), role, client.RemoveOptions{
				KeyIDs: keyIDs, Releases: !keepReleases, Confirm: a.confirmUnsign("removing "+role, gun, yes)})
			if err != nil {
				return fmt.Errorf("remove %s of %s: %w", role, gun, err)
			}
			if len(keyIDs) > 0 {
				fmt.Fprintf(a.streams.Out, "Removed keys %s from %s of %s\n", strings.Join(keyIDs, ", "), role, gun)
			} else {
				fmt.Fprintf(a.streams.Out, "Removed %s from %s\n", role, gun)
			}
			if len(fromReleases) > 0 {
				fmt.Fprintf(a.streams.Out, "Removed keys %s from %s\n", strings.Join(fromReleases, ", "), client.ReleasesRole)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&keyIDs, "key", nil, "remove only this key (canonical ID, as delegate list shows)")
	cmd.Flags().BoolVar(&keepReleases, "keep-releases", false, "leave targets/releases as it is")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "remove even when it leaves tags unsigned")
	return cmd
}
