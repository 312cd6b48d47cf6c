package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
	"github.com/trustctl/trustctl/internal/trust/store"
)

// writeListing writes items as a JSON array (-o json, each item as object gives it)
// or as a table under header: one place decides the form of every listing.
func writeListing[T any](a *app, cmd *cobra.Command, items []T, header []string, row func(T) []string, object func(T) any) error {
	if a.jsonOutput(cmd) {
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, object(it))
		}
		return writeJSON(a.streams.Out, out)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	return report.Table(a.streams.Out, header, rows)
}

// writeJSON writes v indented, as every -o json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Modes of the files commands write: reports and public keys are for everyone to read, key backups
// for their owner only.
const (
	publicFilePerm os.FileMode = 0o644
	keyFilePerm    os.FileMode = 0o600
)

// stdoutPaths name the process's standard output.
var stdoutPaths = []string{"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"}

// writeOutputFile writes data to a file the user named. A regular file (or a new one)
// is replaced atomically with mode perm. Anything else is written through and never
// replaced by a regular file: /dev/stdout is the command's standard output, and a
// device, a FIFO or a symlink is opened and written like a shell's `>` would.
func (a *app) writeOutputFile(path string, data []byte, perm os.FileMode) error {
	if slices.Contains(stdoutPaths, filepath.Clean(path)) {
		_, err := a.streams.Out.Write(data)
		return err
	}
	st, err := os.Lstat(path)
	if err != nil || st.Mode().IsRegular() {
		return store.WriteFileAtomicPerm(path, data, perm)
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
