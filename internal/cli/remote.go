package cli

import (
	"fmt"
	"strings"

	dockerconfig "github.com/docker/cli/cli/config"

	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// notaryServer is --server or $DOCKER_CONTENT_TRUST_SERVER, else docker's default for
// the image's registry: notary.docker.io for Docker Hub, the registry host otherwise.
func (a *app) notaryServer(gun string) string {
	if s := a.server(); s != "" {
		return s
	}
	host, _, _ := strings.Cut(gun, "/")
	if host == "docker.io" {
		return "https://notary.docker.io"
	}
	return "https://" + host
}

// credentials are NOTARY_AUTH's when set, else the image registry's docker login, which
// docker presents to the notary server.
func (a *app) credentials(gun string) (server.CredentialFunc, error) {
	if v := a.getenv("NOTARY_AUTH"); v != "" {
		return server.NotaryAuth(v)
	}
	host, _, _ := strings.Cut(gun, "/")
	return server.DockerCredentials(dockerconfig.Dir(), host), nil
}

// remote is the notary-server client for gun: TLS from --tlscacert and
// $DOCKER_CONFIG/tls/<host>/, credentials like docker.
func (a *app) remote(gun string) (*server.Client, error) {
	creds, err := a.credentials(gun)
	if err != nil {
		return nil, err
	}
	url := a.notaryServer(gun)
	c, err := server.New(url, gun, server.Options{
		CAFile:          a.cfg.GetString("tlscacert"),
		DockerConfigDir: dockerconfig.Dir(),
		Credentials:     creds,
		Logger:          a.log,
	})
	if err != nil {
		return nil, err
	}
	if c.Insecure() {
		a.log.Warn("the notary server is spoken to over plain http: anyone on the network can read and block the traffic", "server", url)
	}
	return c, nil
}

// onlineRepo is gun's trust data in the trust dir and on the server.
func (a *app) onlineRepo(gun string, opts client.Options) (*client.Repository, error) {
	rc, err := a.remote(gun)
	if err != nil {
		return nil, err
	}
	dir := store.Dir{Root: a.trustDir()}
	opts.Logger = a.log
	return client.New(dir, gun, a.keyStore(), rc, opts), nil
}

// shortRole strips "targets/" for messages in docker's terms.
func shortRole(role string) string { return strings.TrimPrefix(role, tuf.RoleTargets+"/") }

// delegationRole turns a signer name (releases, qa) or a role (targets/qa) into the
// role name.
func delegationRole(name string) (string, error) {
	role := name
	if !strings.HasPrefix(name, tuf.RoleTargets+"/") && name != tuf.RoleTargets {
		role = tuf.RoleTargets + "/" + name
	}
	if role != tuf.RoleTargets && !tuf.IsDelegation(role) {
		return "", fmt.Errorf("invalid role %q: a name of lower-case letters, digits, - and _ (or targets/NAME)", name)
	}
	return role, nil
}
