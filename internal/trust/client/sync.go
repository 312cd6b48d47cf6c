package client

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trustctl/trustctl/internal/trust/store"
)

// swapRename exchanges the folders tmp and dir with two renames. A crash between them
// leaves dir missing and the old cache at the ".old" name; readers then find no trust
// data rather than a mix.
func swapRename(tmp, dir string) error {
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	if err := os.Rename(old, tmp); err != nil {
		return err
	}
	return store.SyncDir(filepath.Dir(dir))
}

// syncTree flushes the folders under root; the files were synced when written.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return store.SyncDir(p)
	})
}
