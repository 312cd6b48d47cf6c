package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
)

func (a *app) keyListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the private keys of the trust dir, like notary key list",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := a.keyStore().List()
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				type keyJSON struct {
					Role     string `json:"role"`
					GUN      string `json:"gun"`
					ID       string `json:"id"`
					Location string `json:"location"`
				}
				out := make([]keyJSON, 0, len(list))
				for _, k := range list {
					out = append(out, keyJSON{Role: k.Role, GUN: k.GUN, ID: k.ID, Location: k.Path})
				}
				return writeJSON(a.streams.Out, out)
			}
			rows := make([][]string, 0, len(list))
			for _, k := range list {
				rows = append(rows, []string{k.Role, k.GUN, k.ID, k.Path})
			}
			return report.Table(a.streams.Out, []string{"ROLE", "GUN", "KEY ID", "LOCATION"}, rows)
		},
	}
}

// writeJSON writes v indented, as every -o json output.
func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
