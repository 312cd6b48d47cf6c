package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/store"
)

func (a *app) keyExportCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "export KEY-ID -o FILE",
		Short: "Write a key's encrypted file to FILE, as a backup",
		Long:  "Write the key file as stored: encrypted with its passphrase, with its role and GUN headers. Put it back in <trust dir>/private to restore it.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				if _, err := os.Stat(out); err == nil {
					return fmt.Errorf("export: %s already exists (--force replaces it)", out)
				}
			}
			data, err := a.keyStore().Export(args[0])
			if err != nil {
				return err
			}
			if err := store.WriteFileAtomic(out, data); err != nil {
				return fmt.Errorf("export key %s to %s: %w", args[0], out, err)
			}
			fmt.Fprintf(a.streams.Out, "Exported key %s to %s\n", args[0], out)
			return nil
		},
	}
	// Shadows the global --output format flag, as `-o FILE` reads naturally here.
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.MarkFlagRequired("output")
	return cmd
}
