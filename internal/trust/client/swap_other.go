//go:build !linux

package client

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trustctl/trustctl/internal/trust/store"
)

// swapDir puts the folder tmp in place of dir, leaving the old one at tmp.
func swapDir(tmp, dir string) error {
	if err := syncTree(tmp); err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		return store.SyncDir(filepath.Dir(dir))
	}
	return swapRename(tmp, dir)
}
