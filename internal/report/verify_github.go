package report

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// GitHub Actions workflow commands: the runner reads "::error file=F,line=L,title=T::M"
// lines from a step's output and turns them into annotations on the file. Escaping
// follows the runner (actions/runner ActionCommand): without it, a newline in a
// user's string could start a command of its own.
var (
	githubData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// githubCommands are the workflow commands for SARIF levels.
var githubCommands = map[string]string{"error": "error", "warning": "warning", "note": "notice"}

func renderGitHub(w io.Writer, r VerifyReport) error {
	var buf bytes.Buffer
	for _, d := range r.Decisions {
		i, ok := classify(d)
		if !ok {
			continue
		}
		buf.WriteString("::" + githubCommands[findingRules[i].Level] + " ")
		if d.Source.File != "" {
			buf.WriteString("file=" + githubProperty.Replace(slashPath(d.Source.File)) + ",")
			if d.Source.Line > 0 {
				buf.WriteString("line=" + strconv.Itoa(d.Source.Line) + ",")
			}
		}
		buf.WriteString("title=trustctl::" + githubData.Replace(message(d)) + "\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}
