package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

func (a *app) keyPasswdCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "passwd KEY-ID",
		Example: "  trustctl key passwd 3bedec58b0d2\n  TRUSTCTL_NEW_PASSPHRASE=… trustctl key passwd 3bedec58b0d2   # without a terminal",
		Short:   "Change the passphrase of a key",
		Long: "Decrypt the key with its current passphrase (from the usual variables or the terminal) and encrypt it " +
			"with a new one: asked twice on a terminal, else taken from TRUSTCTL_NEW_PASSPHRASE. Without either, or " +
			"when the new passphrase is the current one, nothing changes and the command fails.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.withKeyLock(func(ks *keys.Store) error { return ks.ChangePassphrase(args[0]) }); err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "Changed the passphrase of key %s\n", args[0])
			return nil
		},
	}
}
