package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/bundle"
)

func (a *app) bundleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "bundle",
		Example: "  trustctl bundle inspect ucp-bundle-alice.zip",
		Short:   "Read MKE/UCP client bundles",
	}
	cmd.AddCommand(a.bundleInspectCommand())
	return cmd
}

func (a *app) bundleInspectCommand() *cobra.Command {
	return withFormats(&cobra.Command{
		Use:     "inspect BUNDLE",
		Example: "  trustctl bundle inspect ucp-bundle-alice.zip\n  trustctl bundle inspect ./alice-bundle -o json",
		Short:   "Show the user, teams, key ID, certificate and DOCKER_HOST of a client bundle",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := bundle.Open(args[0])
			if err != nil {
				return err
			}
			info := struct {
				User       string    `json:"user"`
				Teams      []string  `json:"teams"`
				KeyID      string    `json:"keyId"`
				Subject    string    `json:"subject"`
				Issuer     string    `json:"issuer"`
				NotBefore  time.Time `json:"notBefore"`
				NotAfter   time.Time `json:"notAfter"`
				DockerHost string    `json:"dockerHost,omitempty"`
			}{
				User: b.User(), Teams: b.Teams(), KeyID: b.KeyID(),
				Subject: b.Cert.Subject.String(), Issuer: b.Cert.Issuer.String(),
				NotBefore: b.Cert.NotBefore.UTC(), NotAfter: b.Cert.NotAfter.UTC(),
				DockerHost: b.Env["DOCKER_HOST"],
			}
			if a.jsonOutput(cmd) {
				return writeJSON(a.streams.Out, info)
			}
			w := a.streams.Out
			fmt.Fprintf(w, "Bundle:       %s\n", b.Source)
			fmt.Fprintf(w, "User:         %s\n", info.User)
			fmt.Fprintf(w, "Teams:        %s\n", strings.Join(info.Teams, ", "))
			fmt.Fprintf(w, "Key ID:       %s\n", info.KeyID)
			fmt.Fprintf(w, "Subject:      %s\n", info.Subject)
			fmt.Fprintf(w, "Issuer:       %s\n", info.Issuer)
			fmt.Fprintf(w, "Valid:        %s to %s\n", info.NotBefore.Format(time.RFC3339), info.NotAfter.Format(time.RFC3339))
			if info.DockerHost != "" {
				fmt.Fprintf(w, "DOCKER_HOST:  %s\n", info.DockerHost)
			}
			return nil
		},
	}, outputTable, outputJSON)
}
