package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustctl/trustctl/internal/migrate"
)

func migrateResult() migrate.Result {
	d := "sha256:f7e0365ae97a8288b8bd9fd3aeb8fe908d569e9a876389887e88871ac589fa5f"
	k := "3bedec58b0d2f06d74aeb9af56b151219c58cc33d1852ea7892696efbce87d77"
	return migrate.Result{Format: migrate.Legacy, Items: []migrate.Item{
		{Repository: "registry.example/team/app", Tag: "1.0", Role: "targets/qa", Digest: d, KeyID: k, Outcome: migrate.Migrated},
		{Repository: "registry.example/team/app", Tag: "1.0", Role: "targets/releases", Digest: d, KeyID: k, Outcome: migrate.Present},
		{Repository: "registry.example/team/app", Tag: "gone", Role: "targets/qa", Digest: d, KeyID: k, Outcome: migrate.Skipped, Reason: "manifest gone from the registry"},
		{Repository: "registry.example/team/app", Role: "targets/ops", Outcome: migrate.Skipped, Reason: "role does not verify: expired"},
	}, Evidence: []migrate.EvidenceItem{
		{Repository: "registry.example/team/app", Digest: d, Claims: []migrate.Claim{{Tag: "1.0", Role: "targets/qa"}, {Tag: "1.0", Role: "targets/releases"}}, Outcome: migrate.Migrated},
	}}
}

// TestMigrateGolden pins the table and JSON of a migration report.
func TestMigrateGolden(t *testing.T) {
	for name, render := range map[string]func(*bytes.Buffer, migrate.Result) error{
		"migrate.table.golden": func(b *bytes.Buffer, r migrate.Result) error { return MigrateTable(b, r) },
		"migrate.json.golden":  func(b *bytes.Buffer, r migrate.Result) error { return MigrateJSON(b, r) },
	} {
		var got bytes.Buffer
		if err := render(&got, migrateResult()); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("output differs from %s (go test -run MigrateGolden -update to accept):\n%s", path, got.Bytes())
		}
	}
}
