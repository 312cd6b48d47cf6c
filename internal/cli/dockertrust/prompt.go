package dockertrust

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/docker/cli/cli-plugins/socket"
	"golang.org/x/term"

	"github.com/trustctl/trustctl/internal/trust/keys"
)

// stopGrace is how long a command may take to wind up once docker asked it to stop;
// a prompt blocked on stdin does not notice the cancellation.
const stopGrace = 3 * time.Second

// stopOnSocketClose connects to docker's plugin socket, when docker gave one, and
// cancels the command when docker closes it: docker does that on its first interrupt
// (when its output is not a terminal, whose interrupts reach the plugin directly) and
// when it exits. Whatever has not ended stopGrace later exits, so the plugin never
// outlives the docker command that ran it. Trust dir writes are atomic and a publish
// is one request: stopping loses nothing half-written.
func stopOnSocketClose(getenv func(string) string, cancel context.CancelFunc) {
	addr := getenv(socket.EnvKey)
	if addr == "" {
		return
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		return // docker is gone already or never listened: nothing to watch
	}
	go func() {
		// docker never writes: any return of Read is the end of the connection.
		_, _ = io.Copy(io.Discard, conn)
		cancel()
		time.Sleep(stopGrace)
		os.Exit(1)
	}()
}

// lineReader reads stdin a line at a time for every prompt, so that piped answers
// (passphrases, y/N) are consumed one line each, in order.
type lineReader struct {
	r *bufio.Reader
}

func newLineReader(in io.Reader) *lineReader {
	if in == nil {
		in = strings.NewReader("")
	}
	return &lineReader{r: bufio.NewReader(in)}
}

// line returns the next line without its end; io.EOF when there is none.
func (l *lineReader) line() (string, error) {
	s, err := l.r.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// confirm is docker's prompt.Confirm: the question and " [y/N] " on stdout, yes only
// for y or Y. A cancelled command answers no.
func (e *env) confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprint(e.streams.Out, question+" [y/N] ")
	answer := make(chan string, 1)
	go func() {
		s, _ := e.in.line()
		answer <- s
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.streams.Out)
		return false, errors.New("prompt terminated")
	case s := <-answer:
		return strings.EqualFold(strings.TrimSpace(s), "y"), nil
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Notary's prompt texts, which docker shows (notary passphrase.PromptRetrieverWithInOut).
const rootKeyWarning = `You are about to create a new root signing key passphrase. This passphrase
will be used to protect the most sensitive key in your signing system. Please
choose a long, complex passphrase and be careful to keep the password and the
key file itself secure and backed up. It is highly recommended that you use a
password manager to generate the passphrase and keep it safe. There will be no
way to recover this key. You can find the key in your config directory.`

// shortIDLen is how much of a key ID notary's prompts show.
const shortIDLen = 7

// passphrases is docker's passphrase retriever: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE
// for root keys, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE for every other key, else a
// prompt on stdout (hidden input on a terminal, a line of stdin otherwise); an answer is
// reused for the next key of the same role, as notary caches it.
type passphrases struct {
	getenv func(string) string
	in     *lineReader
	out    io.Writer
	tty    *os.File
	cache  map[string]string
}

var _ keys.PassphraseSource = (*passphrases)(nil)

// NewPassphrase is never asked for: docker trust has no command that changes a
// passphrase.
func (p *passphrases) NewPassphrase(alias, keyID string) (string, error) {
	return "", fmt.Errorf("docker trust cannot change the passphrase of key %s: run trustctl key passwd", keyID)
}

func newPassphrases(getenv func(string) string, in *lineReader, out io.Writer, tty *os.File) *passphrases {
	return &passphrases{getenv: getenv, in: in, out: out, tty: tty, cache: map[string]string{}}
}

// displayAlias is docker's alias map: snapshot and targets keys are "repository" keys.
func displayAlias(alias string) string {
	switch alias {
	case "snapshot", "targets":
		return "repository"
	}
	return alias
}

func (p *passphrases) Passphrase(alias, keyID string, newKey bool, attempt int) (string, error) {
	variable := "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"
	if alias == "root" {
		variable = "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"
	}
	if v := p.getenv(variable); v != "" {
		if attempt > 0 {
			return "", fmt.Errorf("%w (from %s)", keys.ErrWrongPassphrase, variable)
		}
		return v, nil
	}
	if attempt == 0 {
		if alias == "root" && newKey {
			fmt.Fprintln(p.out, rootKeyWarning)
		}
		if v, ok := p.cache[alias]; ok {
			return v, nil
		}
	} else if !newKey {
		fmt.Fprintln(p.out, "Passphrase incorrect. Please retry.")
	}
	withID := ""
	if len(keyID) > shortIDLen && !strings.ContainsRune(keyID, os.PathSeparator) {
		withID = " with ID " + keyID[:shortIDLen]
	}
	what := displayAlias(alias) + " key" + withID
	if newKey {
		what = "new " + what
	}
	secret, err := p.read("Enter passphrase for " + what + ": ")
	if err != nil {
		return "", err
	}
	if newKey {
		if len(secret) < 8 {
			fmt.Fprintln(p.out, "Passphrase is too short. Please use a password manager to generate and store a good random passphrase.")
			return "", fmt.Errorf("%w: passphrase too short", keys.ErrNoPassphrase)
		}
		again, err := p.read("Repeat passphrase for " + what + ": ")
		if err != nil {
			return "", err
		}
		if again != secret {
			fmt.Fprintln(p.out, "Passphrases do not match. Please retry.")
			return "", fmt.Errorf("%w: passphrases do not match", keys.ErrNoPassphrase)
		}
	}
	p.cache[alias] = secret
	return secret, nil
}

// read prompts and reads one answer: hidden on a terminal, a line of stdin otherwise.
func (p *passphrases) read(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	var s string
	var err error
	if p.tty != nil {
		var b []byte
		b, err = term.ReadPassword(int(p.tty.Fd()))
		s = string(b)
	} else {
		s, err = p.in.line()
	}
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("%w: %v", keys.ErrNoPassphrase, err)
	}
	return strings.TrimSpace(s), nil
}
