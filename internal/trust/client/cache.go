package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/trustctl/trustctl/internal/fsread"
	"github.com/trustctl/trustctl/internal/trust/repo"
	"github.com/trustctl/trustctl/internal/trust/store"
	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Prefix of the sibling folders a cache update is built in; readers only look at
// metadata/, so a leftover of a killed process is harmless and removed next time.
const stagingPrefix = ".metadata.new-"

// versionedRoot is the name under which a root version is kept for the rotation chain.
func versionedRoot(version int) string { return strconv.Itoa(version) + "." + tuf.RoleRoot }

// overlay is the cache with downloaded files laid over it: what tuf.Verify checks
// before anything is written. It records what is read, so that the files of a verified
// state can be written together.
type overlay struct {
	cache repo.DirSource
	files map[string][]byte // downloads; not changed while tuf.Verify reads
	mu    sync.Mutex        // guards read: tuf.Verify reads delegations concurrently
	read  map[string][]byte
}

func newOverlay(cache repo.DirSource) *overlay {
	return &overlay{cache: cache, files: map[string][]byte{}, read: map[string][]byte{}}
}

// Read is tuf.Source's: it records what it returns.
func (o *overlay) Read(name string, limit int64) ([]byte, error) {
	b, err := o.peek(name, limit)
	if err != nil || int64(len(b)) > limit {
		return b, err
	}
	o.mu.Lock()
	o.read[name] = b
	o.mu.Unlock()
	return b, nil
}

// peek reads like Read without recording: for the download path, which looks at files
// that verification may never accept.
func (o *overlay) peek(name string, limit int64) ([]byte, error) {
	b, ok := o.files[name]
	if !ok {
		var err error
		if b, err = o.cache.Read(name, limit); err != nil {
			return nil, err
		}
	}
	if int64(len(b)) > limit {
		return b[:limit+1], nil
	}
	return b, nil
}

// add lays a download over the cache; nil (nothing downloaded) changes nothing.
func (o *overlay) add(name string, b []byte) {
	if b != nil {
		o.files[name] = b
	}
}

// forget drops the record of what was read.
func (o *overlay) forget() {
	o.mu.Lock()
	o.read = map[string][]byte{}
	o.mu.Unlock()
}

func (o *overlay) RootVersions() ([]int, error) {
	versions, err := o.cache.RootVersions()
	if err != nil {
		return nil, err
	}
	for name := range o.files {
		if v, ok := repo.RootVersion(name); ok {
			versions = append(versions, v)
		}
	}
	return versions, nil
}

// writeCache replaces the metadata folder mdir by a copy with files (role name →
// bytes) written into it, in one step: the copy is built in a sibling folder and
// swapped in, so a reader or a killed process sees the old cache or the new one, never
// a mix (a new targets.json beside an old snapshot.json would not verify). With fresh,
// the old files are not copied.
func writeCache(mdir string, files map[string][]byte, fresh bool) error {
	if len(files) == 0 {
		return nil
	}
	parent := filepath.Dir(mdir)
	if err := os.MkdirAll(parent, store.DirPerm); err != nil {
		return fmt.Errorf("write cache: %w", err)
	}
	removeStaging(parent)
	tmp, err := os.MkdirTemp(parent, stagingPrefix)
	if err != nil {
		return fmt.Errorf("write cache: %w", err)
	}
	defer os.RemoveAll(tmp) // after the swap it holds the old cache
	if !fresh {
		if err := copyTree(mdir, tmp); err != nil {
			return fmt.Errorf("write cache: copy %s: %w", mdir, err)
		}
	}
	for name, data := range files {
		if err := store.WriteFileAtomic(filepath.Join(tmp, filepath.FromSlash(tuf.FileName(name))), data); err != nil {
			return fmt.Errorf("write cache: %w", err)
		}
	}
	if err := swapDir(tmp, mdir); err != nil {
		return fmt.Errorf("write cache %s: %w", mdir, err)
	}
	return nil
}

// removeStaging deletes the staging folders of interrupted updates.
func removeStaging(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stagingPrefix) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// copyTree copies the regular files and folders under src (absent: nothing) into dst,
// each file written durably.
func copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, store.DirPerm)
		case !d.Type().IsRegular():
			return nil
		}
		// Read as the cache is read everywhere: a file swapped for a FIFO or a device
		// between the walk and the read is refused, never waited on.
		data, err := fsread.ReadFile(p, maxMetadataSize)
		if err != nil {
			return err
		}
		// Synced like the new files: after the swap these are the cache.
		return store.WriteFileAtomic(target, data)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
