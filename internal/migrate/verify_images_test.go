package migrate

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/trustctl/trustctl/internal/registry"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// TestVerifyImagesStopsAtRegistryError checks that an image whose registry cannot be
// reached stops the run with that error, before any warning about its root.
func TestVerifyImagesStopsAtRegistryError(t *testing.T) {
	errRegistry := errors.New("no registry")
	var log bytes.Buffer
	var asked []string
	_, err := VerifyImages(context.Background(), VerifyImagesOptions{
		Images: []Image{{GUN: "r/a", Tag: "1", Ref: "r/a:1"}, {GUN: "r/b", Tag: "1", Ref: "r/b:1"}},
		Registry: func(gun string) (*registry.Client, string, error) {
			asked = append(asked, gun)
			return nil, "", errRegistry
		},
		Pin: func(string) *tuf.Pin { return nil },
		Log: slog.New(slog.NewTextHandler(&log, nil)),
	})
	if !errors.Is(err, errRegistry) {
		t.Fatalf("VerifyImages: %v, want %v", err, errRegistry)
	}
	if len(asked) != 1 || log.Len() != 0 {
		t.Errorf("registries asked %q, log %q: want only r/a and no warning", asked, log.String())
	}
}
