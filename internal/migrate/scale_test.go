package migrate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustctl/trustctl/internal/migrate"
)

// TestManyTags migrates a repository of 100 tags, then runs again, and logs the times.
func TestManyTags(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 100 images")
	}
	var tags []string
	for i := range 100 {
		tags = append(tags, fmt.Sprintf("1.%d", i))
	}
	f := newFixture(t, ecKey(t), tags...)
	for _, format := range []migrate.Format{migrate.Legacy, migrate.Bundle} {
		opts := f.options(format)
		opts.Evidence = format == migrate.Legacy
		start := time.Now()
		res, err := migrate.Run(context.Background(), opts)
		if err != nil || res.Count(migrate.Migrated) != len(tags) {
			t.Fatalf("%s: %d migrated, %v", format, res.Count(migrate.Migrated), err)
		}
		first := time.Since(start)
		start = time.Now()
		if res, err = migrate.Run(context.Background(), opts); err != nil || res.Count(migrate.Present) != len(tags) {
			t.Fatalf("%s again: %d present, %v", format, res.Count(migrate.Present), err)
		}
		t.Logf("%s: %d tags migrated in %v, checked again in %v", format, len(tags), first, time.Since(start))
	}
}
