package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/trustctl/trustctl/internal/trust/keys"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// keyStore opens the trust dir's keys with passphrases from the environment, then from
// a prompt when stdin is a terminal.
func (a *app) keyStore() *keys.Store {
	return keys.Open(store.Dir{Root: a.trustDir()}, keys.NewPassphraseSource(a.getenv, a.prompter()))
}

// prompter reads passphrases from the terminal, or is nil when stdin is not one, so
// that a pipe never hangs waiting for a passphrase.
func (a *app) prompter() keys.Prompter {
	f, ok := a.streams.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return termPrompter{in: f, out: a.streams.Err}
}

type termPrompter struct {
	in  *os.File
	out io.Writer
}

func (p termPrompter) ReadPassword(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	secret, err := term.ReadPassword(int(p.in.Fd()))
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return strings.TrimSpace(string(secret)), nil
}
