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
// a prompt when stdin is a terminal. It warns, one line each, about a trust dir or
// private/ others can write and key files others can read, as ssh does.
func (a *app) keyStore() *keys.Store {
	ks := keys.Open(store.Dir{Root: a.trustDir()}, keys.NewPassphraseSource(a.getenv, a.prompter()))
	// An unreadable private/ is reported by the command that reads it.
	warnings, _ := ks.PermissionWarnings()
	a.warnAll(warnings)
	return ks
}

// warnAll prints warnings on stderr, one line each.
func (a *app) warnAll(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(a.streams.Err, "trustctl: warning: %s\n", w)
	}
}

// withKeyLock runs a key command that changes private/ under the trust dir's lock, as
// the design promises: two trustctl processes never interleave their writes.
func (a *app) withKeyLock(f func(*keys.Store) error) error {
	unlock, err := store.Dir{Root: a.trustDir()}.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	return f(a.keyStore())
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
