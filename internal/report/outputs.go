package report

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Output is one report: a format and the file it goes to ("" = stdout).
type Output struct {
	Format Format
	File   string
}

// Outputs pairs --format and --output-file in the order they are given on the command
// line (docs/report-json.md): a file goes with the format just before it that has no
// file yet, as in `--format sarif --output-file out.sarif --format table`, and a file
// without one takes the format its extension names.
type Outputs struct {
	list []Output
	// open is the index of the last format still without a file, -1 for none.
	open         int
	formatsGiven bool
}

// NewOutputs starts an empty pairing.
func NewOutputs() *Outputs { return &Outputs{open: -1} }

// AddFormat records a --format.
func (o *Outputs) AddFormat(name string) error {
	f, err := ParseFormat(name)
	if err != nil {
		return err
	}
	o.formatsGiven = true
	o.list = append(o.list, Output{Format: f})
	o.open = len(o.list) - 1
	return nil
}

// AddFile records an --output-file.
func (o *Outputs) AddFile(path string) error {
	if path == "" {
		return fmt.Errorf("--output-file: empty file name")
	}
	if o.open >= 0 {
		o.list[o.open].File = path
		o.open = -1
		return nil
	}
	f, ok := formatOfFile(path)
	if !ok {
		return fmt.Errorf("--output-file %s: no --format before it, and its extension names no format (.json, .sarif or .xml, else give --format F before it)", path)
	}
	o.list = append(o.list, Output{Format: f, File: path})
	return nil
}

// formatOfFile is the format a file's extension names; .sarif.json is SARIF.
func formatOfFile(path string) (Format, bool) {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".sarif"), strings.HasSuffix(name, ".sarif.json"):
		return FormatSARIF, true
	case strings.HasSuffix(name, ".json"):
		return FormatJSON, true
	case strings.HasSuffix(name, ".xml"):
		return FormatJUnit, true
	}
	return "", false
}

// List is the reports to write, in order. Without any --format the table goes to
// stdout as well; at most one report may go to stdout.
func (o *Outputs) List() ([]Output, error) {
	out := o.list
	if !o.formatsGiven {
		out = append([]Output{{Format: FormatTable}}, out...)
	}
	toStdout := 0
	for _, r := range out {
		if r.File == "" {
			toStdout++
		}
	}
	if toStdout > 1 {
		return nil, fmt.Errorf("%d formats would go to stdout: follow all but one --format with its --output-file", toStdout)
	}
	return out, nil
}
