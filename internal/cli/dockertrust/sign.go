package dockertrust

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/docker/cli/cli-plugins/metadata"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

func (e *env) signCommand() *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "sign IMAGE:TAG",
		Short: "Sign an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.sign(cmd, args[0], local)
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "Sign a locally tagged image")
	return cmd
}

// checkTag is docker's validateTag.
func checkTag(im image) error {
	if im.tag != "" {
		return nil
	}
	if im.digest != "" {
		return errors.New("cannot use a digest reference for IMAGE:TAG")
	}
	return fmt.Errorf("no tag specified for %s", im.arg)
}

// sign is docker's runSignImage: a tag already signed (in targets/releases or targets)
// is signed again with its digest; a new tag, or any with --local, signs what the
// registry serves once the invoking docker has pushed the local image. The first sign
// of a repository initialises it with a signer named after the docker login user.
func (e *env) sign(cmd *cobra.Command, arg string, local bool) error {
	ctx := cmd.Context()
	im, err := parseImage(arg)
	if err != nil {
		return err
	}
	if err := checkTag(im); err != nil {
		return err
	}
	rc, err := e.repository(im)
	if err != nil {
		return err
	}
	var r *repo.Repo
	_, err = rc.Fetch(ctx)
	switch {
	case errors.Is(err, client.ErrNotInitialized):
		user, err := e.initWithSigner(ctx, rc, im)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.streams.Out, "Created signer:", user)
		fmt.Fprintln(e.streams.Out, "Finished initializing signed repository for", arg)
	case err != nil:
		return notaryError(im.gun, err)
	}
	if r, err = repo.Open(e.trustDir(), im.gun, repo.Options{}); err != nil {
		return notaryError(im.gun, err)
	}
	target, signed := releasedTarget(r, im.tag)
	if !signed || local {
		if target, err = e.pushedTarget(ctx, cmd.Root(), im, local); err != nil {
			return err
		}
	}
	return e.signTarget(ctx, rc, r, im, target)
}

// releasedTarget is the tag's entry in targets/releases or targets, as docker re-signs it.
func releasedTarget(r *repo.Repo, tag string) (client.Target, bool) {
	for _, t := range r.List(repo.ReleasesRole, tuf.RoleTargets) {
		if t.Name == tag && (t.Role == repo.ReleasesRole || t.Role == tuf.RoleTargets) && t.Digest != "" {
			return client.Target{Name: t.Name, Digest: t.Digest, Size: t.Size}, true
		}
	}
	return client.Target{}, false
}

// pushedTarget is the digest the registry serves for the tag. docker trust sign pushed
// the local image through the daemon; the plugin runs the invoking docker's push for
// that, with the global flags it was given, when the registry does not have the tag or
// --local asks for the local image.
func (e *env) pushedTarget(ctx context.Context, root *cobra.Command, im image, local bool) (client.Target, error) {
	reg, name, err := e.registryClient(im)
	if err != nil {
		return client.Target{}, err
	}
	if !local {
		d, err := reg.Resolve(ctx, name, im.tag)
		if err == nil {
			return client.Target{Name: im.tag, Digest: d.Digest, Size: d.Size}, nil
		}
		var se *registry.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound {
			return client.Target{}, err
		}
	}
	fmt.Fprintf(e.streams.Err, "Signing and pushing trust data for local image %s, may overwrite remote trust data\n", im.arg)
	if err := e.dockerPush(ctx, root, im); err != nil {
		return client.Target{}, err
	}
	d, err := reg.Resolve(ctx, name, im.tag)
	if err != nil {
		return client.Target{}, err
	}
	return client.Target{Name: im.tag, Digest: d.Digest, Size: d.Size}, nil
}

// dockerPush runs `docker [global flags] push IMAGE:TAG` with the docker that ran the
// plugin (DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND). Content trust is off for that push:
// the plugin signs afterwards.
func (e *env) dockerPush(ctx context.Context, root *cobra.Command, im image) error {
	docker := e.getenv(metadata.ReexecEnvvar)
	if docker == "" {
		docker = "docker"
	}
	args := append(e.global.dockerArgs(root), "push", im.arg)
	c := exec.CommandContext(ctx, docker, args...)
	c.Stdin, c.Stdout, c.Stderr = nil, e.streams.Out, e.streams.Err
	c.Env = append(os.Environ(), "DOCKER_CONTENT_TRUST=0")
	if err := c.Run(); err != nil {
		return fmt.Errorf("%s push %s: %w", docker, im.arg, err)
	}
	return nil
}

// signTarget is docker's signAndPublishToTarget, messages included.
func (e *env) signTarget(ctx context.Context, rc *client.Repository, r *repo.Repo, im image, target client.Target) error {
	fmt.Fprintln(e.streams.Out, "Signing and pushing trust metadata for", im.arg)
	var existing repo.SignedTag
	if rows := r.Inspect(im.tag).SignedTags; len(rows) > 0 {
		sortNatural(rows)
		existing = rows[0]
	}
	// docker's rows name no signer for tags signed only by targets or releases
	signers := slices.DeleteFunc(slices.Clone(existing.Signers), func(s string) bool { return s == "Repo Admin" })
	slices.Sort(signers)
	if _, err := rc.Sign(ctx, []client.Target{target}, nil); err != nil {
		return fmt.Errorf("failed to sign %s:%s: %w", im.gun, im.tag, dockerSigningError(e, err))
	}
	fmt.Fprintf(e.streams.Out, "Existing signatures for tag %s digest %s from:\n%s\n", existing.SignedTag, existing.Digest, strings.Join(signers, ", "))
	fmt.Fprintf(e.streams.Out, "Successfully signed %s:%s\n", im.gun, im.tag)
	return nil
}

// initWithSigner is docker's initNotaryRepoWithSigners: the repository is created (the
// trust dir's root key, a new targets key, the snapshot key on the server) and
// targets/<user> and targets/releases get the key of role <user>, the one in the trust
// dir with the lowest ID or a new one. user is the docker login user of the registry.
func (e *env) initWithSigner(ctx context.Context, rc *client.Repository, im image) (string, error) {
	cred, err := e.credentials(im)()
	if err != nil {
		return "", err
	}
	user := cred.Username
	if !validName(user) {
		return "", fmt.Errorf("cannot name the first signer of %s after the docker login user %q: run docker login %s, or docker trust signer add first", im.gun, user, im.host())
	}
	if _, err := rc.Init(ctx, client.InitOptions{}); err != nil {
		return "", notaryError(im.gun, err)
	}
	pub, err := e.signerKey(user)
	if err != nil {
		return "", notaryError(im.gun, err)
	}
	if err := rc.AddSigner(ctx, tuf.RoleTargets+"/"+user, []tuf.PublicKey{pub}); err != nil {
		return "", fmt.Errorf("could not add signer to repo: %s: %w", user, err)
	}
	return user, nil
}

// signerKey is docker's getOrGenerateNotaryKey for a signer role.
func (e *env) signerKey(role string) (tuf.PublicKey, error) {
	ks := e.keyStore()
	infos, err := ks.List()
	if err != nil {
		return tuf.PublicKey{}, err
	}
	var ids []string
	for _, k := range infos {
		if k.Role == role {
			ids = append(ids, k.ID)
		}
	}
	if len(ids) == 0 {
		_, pub, err := ks.Generate(role, "")
		return pub, err
	}
	slices.Sort(ids)
	priv, _, err := ks.PrivateKey(ids[0])
	if err != nil {
		return tuf.PublicKey{}, err
	}
	return tuf.PublicKeyFromCrypto(priv.Public())
}

// notaryError words a trust data failure as docker's trust.NotaryError does for the
// cases trustctl tells apart.
func notaryError(gun string, err error) error {
	var ve *tuf.VerifyError
	switch {
	case errors.Is(err, client.ErrNotInitialized):
		return fmt.Errorf("Error: remote trust data does not exist for %s: %w", gun, err)
	case errors.Is(err, keys.ErrNoPassphrase), errors.Is(err, keys.ErrWrongPassphrase):
		return fmt.Errorf("Error: could not find signing keys for remote repository %s, or could not decrypt signing key: %w", gun, err)
	case errors.As(err, &ve):
		return fmt.Errorf("Warning: potential malicious behavior - trust data mismatch for remote repository %s: %w", gun, err)
	case errors.Is(err, server.ErrServerUnavailable):
		return fmt.Errorf("Error: error contacting notary server: %w", err)
	}
	return err
}

// dockerSigningError is docker's wording for a trust dir without a key of any signer
// (trust.GetSignableRoles), for sign and revoke alike; which keys would do is logged for
// -D.
func dockerSigningError(e *env, err error) error {
	var (
		nk *client.NoSigningKeysError
		ns *client.NotSignedError
	)
	if errors.As(err, &nk) || errors.As(err, &ns) {
		e.log.Debug("no signing key", "error", err.Error())
		return errors.New("no valid signing keys for delegation roles")
	}
	return err
}
