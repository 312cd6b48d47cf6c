package dockertrust

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (e *env) signerAddCommand() *cobra.Command {
	var keyFiles listValue
	cmd := &cobra.Command{
		Use:   "add OPTIONS NAME REPOSITORY [REPOSITORY...] ",
		Short: "Add a signer",
		Args:  requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.signerAdd(cmd.Context(), args[0], args[1:], keyFiles)
		},
	}
	cmd.Flags().Var(&keyFiles, "key", "Path to the signer's public key file")
	return cmd
}

// signerAdd is docker's addSigner: the keys join targets/NAME and targets/releases of
// each repository (initialised first when it has no trust data). A repository that
// fails is reported and the others go on.
func (e *env) signerAdd(ctx context.Context, name string, repos, keyFiles []string) error {
	if !validName(name) {
		return nameError("signer", name)
	}
	if name == "releases" {
		return errors.New("releases is a reserved keyword, use a different signer name")
	}
	if len(keyFiles) == 0 {
		return errNoKeys
	}
	var pubs []tuf.PublicKey
	for _, f := range keyFiles {
		k, err := readPublicKey(f)
		if err != nil {
			return err
		}
		pubs = append(pubs, k)
	}
	var failed []string
	for _, r := range repos {
		fmt.Fprintf(e.streams.Out, "Adding signer \"%s\" to %s...\n", name, r)
		if err := e.addSignerTo(ctx, name, r, pubs); err != nil {
			fmt.Fprintln(e.streams.Err, err.Error()+"\n")
			failed = append(failed, r)
			continue
		}
		fmt.Fprintf(e.streams.Out, "Successfully added signer: %s to %s\n\n", name, r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed to add signer to: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (e *env) addSignerTo(ctx context.Context, name, arg string, pubs []tuf.PublicKey) error {
	im, err := parseImage(arg)
	if err != nil {
		return err
	}
	rc, err := e.repository(im)
	if err != nil {
		return notaryError(im.gun, err)
	}
	_, err = rc.Fetch(ctx)
	if errors.Is(err, client.ErrNotInitialized) {
		fmt.Fprintf(e.streams.Out, "Initializing signed repository for %s...\n", arg)
		if _, err := rc.Init(ctx, client.InitOptions{}); err != nil {
			return notaryError(arg, err)
		}
		fmt.Fprintf(e.streams.Out, "Successfully initialized %q\n", arg)
	} else if err != nil {
		return notaryError(arg, err)
	}
	if err := rc.AddSigner(ctx, tuf.RoleTargets+"/"+name, pubs); err != nil {
		return fmt.Errorf("could not add signer to repo: %s: %w", name, err)
	}
	return nil
}

// maxPublicKeyFile is docker's bound on a public key file.
const maxPublicKeyFile = 1 << 20

// readPublicKey is docker's ParsePEMPublicKey: a certificate (valid now, not signed
// with SHA-1) becomes an x509 key, a PUBLIC KEY block a bare key.
func readPublicKey(path string) (tuf.PublicKey, error) {
	data, err := store.ReadFileLimit(path, maxPublicKeyFile)
	if err != nil {
		return tuf.PublicKey{}, fmt.Errorf("unable to read public key from file: %w", err)
	}
	fail := func(err error) (tuf.PublicKey, error) {
		return tuf.PublicKey{}, fmt.Errorf("could not parse public key from file: %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return fail(errors.New("no valid public key found"))
	}
	var k tuf.PublicKey
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fail(err)
		}
		now := time.Now()
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return fail(fmt.Errorf("certificate not valid now (%s to %s)", cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339)))
		}
		if cert.SignatureAlgorithm == x509.SHA1WithRSA || cert.SignatureAlgorithm == x509.ECDSAWithSHA1 {
			return fail(errors.New("certificate signed with SHA-1"))
		}
		if k, err = tuf.PublicKeyFromCertificate(cert); err != nil {
			return fail(err)
		}
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return fail(err)
		}
		if k, err = tuf.PublicKeyFromCrypto(pub); err != nil {
			return fail(err)
		}
	default:
		return fail(fmt.Errorf("unsupported PEM block type %q, expected CERTIFICATE or PUBLIC KEY", block.Type))
	}
	if _, err := k.CryptoPublicKey(); err != nil {
		return fail(err)
	}
	return k, nil
}

func (e *env) signerRemoveCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "remove [OPTIONS] NAME REPOSITORY [REPOSITORY...]",
		Short: "Remove a signer",
		Args:  requiresMinArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.signerRemove(cmd.Context(), args[0], args[1:], force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation before removing the most recent signer")
	return cmd
}

// signerRemove is docker's removeSigner as documented: the signer's role is deleted and
// its keys leave targets/releases; when its signatures are what keeps the latest
// targets/releases valid, the user confirms first unless -f. (docker ≥ 26 removes
// nothing unless that prompt was shown and answered yes: docs/docker-trust.md.)
func (e *env) signerRemove(ctx context.Context, name string, repos []string, force bool) error {
	var failed []string
	for _, r := range repos {
		fmt.Fprintf(e.streams.Out, "Removing signer \"%s\" from %s...\n", name, r)
		if err := e.removeSignerFrom(ctx, name, r, force); err != nil {
			fmt.Fprintln(e.streams.Err, err.Error()+"\n")
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("error removing signer from: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (e *env) removeSignerFrom(ctx context.Context, name, arg string, force bool) error {
	im, err := parseImage(arg)
	if err != nil {
		return err
	}
	role := tuf.RoleTargets + "/" + name
	if role == repo.ReleasesRole {
		return errors.New("releases is a reserved keyword and cannot be removed")
	}
	rc, err := e.repository(im)
	if err != nil {
		return notaryError(im.gun, err)
	}
	meta, err := rc.Fetch(ctx)
	if err != nil {
		return fmt.Errorf("error retrieving signers for %s: %w", arg, notaryError(im.gun, err))
	}
	var signer, releases *tuf.TargetsRole
	for _, c := range meta.Targets.Children {
		switch c.Name {
		case role:
			signer = c
		case repo.ReleasesRole:
			releases = c
		}
	}
	if signer == nil {
		return fmt.Errorf("no signer %s for repository %s", name, arg)
	}
	last, err := isLastSigner(signer, releases)
	if err != nil {
		return err
	}
	if last && !force {
		ok, err := e.confirm(ctx, fmt.Sprintf("The signer \"%s\" signed the last released version of %s. "+
			"Removing this signer will make %s unpullable. Are you sure you want to continue?", name, arg, arg))
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
	if _, err := rc.RemoveDelegation(ctx, role, client.RemoveOptions{Releases: true}); err != nil {
		return err
	}
	fmt.Fprintf(e.streams.Out, "Successfully removed %s from %s\n\n", name, arg)
	return nil
}

// isLastSigner is docker's isLastSignerForReleases: would targets/releases fall below
// its threshold of valid signatures without the signer's keys? Keys are counted once,
// under either of a certificate key's IDs.
func isLastSigner(signer, releases *tuf.TargetsRole) (bool, error) {
	if releases == nil || len(releases.SignedBy) == 0 {
		return false, errors.New("all signed tags are currently revoked, use docker trust sign to fix")
	}
	leaving := map[string]bool{}
	for _, id := range signer.KeyIDs {
		leaving[id] = true
		if k, ok := signer.Keys[id]; ok {
			if cid, err := k.CanonicalID(); err == nil {
				leaving[cid] = true
			}
		}
	}
	remaining := 0
	for _, id := range releases.KeyIDs {
		signed := slices.Contains(releases.SignedBy, id)
		cid := id
		if k, ok := releases.Keys[id]; ok {
			if c, err := k.CanonicalID(); err == nil {
				cid = c
			}
		}
		if signed && !leaving[id] && !leaving[cid] {
			remaining++
		}
	}
	return remaining < releases.Threshold, nil
}
