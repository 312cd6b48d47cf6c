package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

func (a *app) keyPasswdCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "passwd KEY-ID",
		Short: "Change the passphrase of a key",
		Long:  "Decrypt the key with its current passphrase and encrypt it with a new one (asked twice on a terminal).",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.withKeyLock(func(ks *keys.Store) error { return ks.ChangePassphrase(args[0]) }); err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "Changed the passphrase of key %s\n", args[0])
			return nil
		},
	}
}
