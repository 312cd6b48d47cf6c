package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// maxListed bounds the tags named in a one-line error; the prompt lists them all.
const maxListed = 10

// confirmUnsign asks before a change leaves tags unsigned: yes (--yes) goes ahead, a
// terminal is asked, anything else is refused with the list, as `docker trust signer
// remove` asks before it removes the last signer of released tags.
func (a *app) confirmUnsign(what, gun string, yes bool) func([]string) error {
	return func(tags []string) error {
		if yes {
			a.log.Warn(fmt.Sprintf("%s unsigns %d tags of %s", what, len(tags), gun), "tags", strings.Join(tags, " "))
			return nil
		}
		f, ok := a.streams.In.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			listed := tags
			more := ""
			if len(tags) > maxListed {
				listed, more = tags[:maxListed], fmt.Sprintf(" and %d more", len(tags)-maxListed)
			}
			return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("%s would leave these tags of %s unsigned: %s%s; pass --yes to confirm",
				what, gun, strings.Join(listed, ", "), more))
		}
		fmt.Fprintf(a.streams.Err, "%s leaves these %d tags of %s unsigned:\n  %s\nContinue? [y/N] ", what, len(tags), gun, strings.Join(tags, "\n  "))
		answer, _ := bufio.NewReader(f).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return exitcode.Mark(exitcode.ErrUsage, fmt.Errorf("%s: cancelled, nothing changed", what))
		}
		return nil
	}
}
