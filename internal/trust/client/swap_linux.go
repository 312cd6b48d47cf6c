package client

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/trustctl/trustctl/internal/trust/store"
)

// swapDir puts the folder tmp in place of dir. With an existing dir both are exchanged
// atomically (renameat2 RENAME_EXCHANGE), leaving the old one at tmp; file systems
// without it fall back to two renames.
func swapDir(tmp, dir string) error {
	if err := syncTree(tmp); err != nil {
		return err
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return store.SyncDir(filepath.Dir(dir))
	case errors.Is(err, unix.ENOENT):
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		return store.SyncDir(filepath.Dir(dir))
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return swapRename(tmp, dir)
	}
	return err
}
