package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/trustctl/trustctl/internal/migrate"
)

// MigrateTable writes a migration report: one row per tag and role, then a summary
// line. The same result always gives the same bytes.
func MigrateTable(w io.Writer, r migrate.Result) error {
	rows := make([][]string, 0, len(r.Items))
	for _, it := range r.Items {
		rows = append(rows, []string{it.Repository, orDash(it.Tag), it.Role, orDash(short(it.Digest)), orDash(short(it.KeyID)), string(it.Outcome), it.Reason})
	}
	if err := Table(w, []string{"REPOSITORY", "TAG", "ROLE", "DIGEST", "KEY", "RESULT", "REASON"}, rows); err != nil {
		return err
	}
	done := migrate.Migrated
	if r.DryRun {
		done = migrate.WouldMigrate
	}
	_, err := fmt.Fprintf(w, "\n%d %s, %d already present, %d skipped (cosign %s format)\n",
		r.Count(done), done, r.Count(migrate.Present), r.Count(migrate.Skipped), r.Format)
	return err
}

// MigrateJSON writes the report as indented JSON.
func MigrateJSON(w io.Writer, r migrate.Result) error {
	if r.Items == nil {
		r.Items = []migrate.Item{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// short abbreviates a digest or key ID for the table (the JSON keeps them whole).
func short(s string) string {
	const n = len("sha256:") + 12
	if len(s) > n {
		if s[:7] == "sha256:" {
			return s[:n]
		}
		return s[:12]
	}
	return s
}
