package server

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/trustctl/trustctl/internal/registry"
)

// Token-auth actions per operation, as the notary CLI requests them (SPEC 5.1, 5.5).
const (
	actionsPull     = "pull"
	actionsPushPull = "push,pull"
	actionsAll      = "*"
)

// NotaryAuth decodes the notary CLI's NOTARY_AUTH value, base64("user:password"), into
// the credential of the notary server at serverHost (host[:port]): notary presents it
// only to its one configured server.
func NotaryAuth(value, serverHost string) (registry.CredentialFunc, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return nil, errors.New("NOTARY_AUTH is not base64(user:password)")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" {
		return nil, errors.New("NOTARY_AUTH is not base64(user:password)")
	}
	cred := registry.Credential{Username: user, Secret: pass, Source: "NOTARY_AUTH", Home: serverHost}
	return func() (registry.Credential, error) { return cred, nil }, nil
}
