package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/trustctl/trustctl/internal/report"
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
