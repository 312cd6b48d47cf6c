package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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
	if _, err := fmt.Fprintf(w, "\n%d %s, %d already present, %d skipped (cosign %s format)\n",
		r.Count(done), done, r.Count(migrate.Present), r.Count(migrate.Skipped), r.Format); err != nil {
		return err
	}
	if len(r.Evidence) == 0 {
		return nil
	}
	rows = rows[:0]
	n := map[migrate.Outcome]int{}
	for _, e := range r.Evidence {
		n[e.Outcome]++
		rows = append(rows, []string{e.Repository, short(e.Digest), claimList(e.Claims), string(e.Outcome)})
	}
	fmt.Fprintln(w)
	if err := Table(w, []string{"REPOSITORY", "DIGEST", "EVIDENCE OF", "RESULT"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nevidence: %d %s, %d already present\n", n[done], done, n[migrate.Present])
	return err
}

func claimList(cs []migrate.Claim) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Tag + " (" + c.Role + ")"
	}
	return strings.Join(parts, ", ")
}

// EvidenceRow is one proven claim of `trustctl verify-evidence`.
type EvidenceRow = migrate.ProvenTag

// EvidenceJSON writes the proven claims as indented JSON.
func EvidenceJSON(w io.Writer, rows []EvidenceRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// EvidenceTable writes the proven claims.
func EvidenceTable(w io.Writer, rows []EvidenceRow) error {
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, []string{r.Image, short(r.Digest), r.Tag, r.Role, r.Migrated.UTC().Format(time.RFC3339), short(r.Artifact)})
	}
	return Table(w, []string{"IMAGE", "DIGEST", "TAG", "ROLE", "MIGRATED", "EVIDENCE"}, out)
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
