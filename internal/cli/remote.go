package cli

import (
	"fmt"
	"strings"

	dockerconfig "github.com/docker/cli/cli/config"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/client"
	"github.com/trustctl/trustctl/internal/trust/server"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// notaryServer is --server or $DOCKER_CONTENT_TRUST_SERVER (explicit), else docker's
// guess from the image's registry: notary.docker.io for Docker Hub, the registry host
// otherwise.
func (a *app) notaryServer(gun string) (url string, explicit bool) {
	if s := a.server(); s != "" {
		return s, true
	}
	host, _, _ := strings.Cut(gun, "/")
	if host == "docker.io" {
		return "https://notary.docker.io", false
	}
	return "https://" + host, false
}

// notaryCredentials are NOTARY_AUTH's for a server named explicitly, as notary presents
// them only to its one configured server; else the image registry's docker login,
// which docker presents to the notary server (registry.Credential decides where it
// may actually go). A server guessed from an image name, which a stack file chooses,
// never gets NOTARY_AUTH.
func (a *app) notaryCredentials(gun, serverURL string, explicit bool) (registry.CredentialFunc, error) {
	if v := a.getenv("NOTARY_AUTH"); v != "" {
		if explicit {
			u, err := server.ParseURL(serverURL)
			if err != nil {
				return nil, err
			}
			return server.NotaryAuth(v, u.Host)
		}
		a.notaryAuthIgnored.Do(func() {
			a.log.Warn("NOTARY_AUTH is ignored: it is sent only to a notary server named with --server or DOCKER_CONTENT_TRUST_SERVER",
				"server", serverURL)
		})
	}
	return a.registryCredentials(gun), nil
}

// registryCredentials are docker's credentials for gun's registry host.
func (a *app) registryCredentials(gun string) registry.CredentialFunc {
	host, _, _ := strings.Cut(gun, "/")
	return registry.DockerCredentials(dockerconfig.Dir(), host)
}

// registry is the client of gun's registry and the repository name there: TLS from
// $DOCKER_CONFIG/tls/<host>/, docker's credentials for that host only.
func (a *app) registry(gun string) (*registry.Client, string, error) {
	host, repo, ok := strings.Cut(gun, "/")
	if !ok {
		return nil, "", fmt.Errorf("repository %q has no registry host", gun)
	}
	c, err := registry.New(host, registry.Options{
		TLS:         registry.TLS{DockerConfigDir: dockerconfig.Dir()},
		Credentials: a.registryCredentials(gun),
		Logger:      a.log,
	})
	return c, repo, err
}

// remote is the notary-server client for gun: TLS from --tlscacert and
// $DOCKER_CONFIG/tls/<host>/, credentials as notaryCredentials says.
func (a *app) remote(gun string) (*server.Client, error) {
	url, explicit := a.notaryServer(gun)
	creds, err := a.notaryCredentials(gun, url, explicit)
	if err != nil {
		return nil, err
	}
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
