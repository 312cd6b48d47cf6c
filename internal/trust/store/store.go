// Package store is the on-disk layout of a trust directory shared with notary and docker:
// private/ for keys, tuf/<GUN>/metadata for cached metadata. Every write is atomic and
// private (files 0600, folders 0700).
package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Permissions notary uses for everything in a trust dir.
const (
	DirPerm  os.FileMode = 0o700
	FilePerm os.FileMode = 0o600
)

// Dir is a trust directory.
type Dir struct {
	Root string
}

// PrivateDir holds the private key files.
func (d Dir) PrivateDir() string { return filepath.Join(d.Root, "private") }

// MetadataDir holds the cached metadata of one repository.
func (d Dir) MetadataDir(gun string) (string, error) {
	if err := checkGUNPath(gun); err != nil {
		return "", err
	}
	return filepath.Join(d.Root, "tuf", filepath.FromSlash(gun), "metadata"), nil
}

// checkGUNPath refuses names that would leave the trust dir when used as a path.
func checkGUNPath(gun string) error {
	if gun == "" || strings.HasPrefix(gun, "/") || strings.ContainsAny(gun, "\\\x00") {
		return fmt.Errorf("invalid repository name %q", gun)
	}
	for _, seg := range strings.Split(gun, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("invalid repository name %q", gun)
		}
	}
	return nil
}

// ErrTooLarge is returned by ReadFileLimit for files over the limit.
var ErrTooLarge = errors.New("file too large")

// ReadFileLimit reads a file of at most limit bytes, so that a hostile file cannot
// exhaust memory.
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", path, ErrTooLarge, limit)
	}
	return data, nil
}

// WriteFileAtomic writes data to path with mode 0600, creating missing folders with
// 0700: a temporary file in the same folder is written, synced and renamed over path,
// so a reader sees the old file or the new one, never a part.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return err
	}
	// The temporary name is kept short: a long role name (a 240-byte delegation) plus
	// a suffix would overflow NAME_MAX.
	base := filepath.Base(path)
	tmp, err := os.CreateTemp(dir, "."+base[:min(len(base), 64)]+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename
	if err := tmp.Chmod(FilePerm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir flushes a folder's entries, which makes a rename or creation in it durable.
// File systems that cannot sync a folder (EINVAL) are taken as having nothing to flush.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// lockName is ignored by notary: its key store only reads private/ and its metadata
// store only tuf/.
const lockName = ".trustctl.lock"

// Lock takes an exclusive lock on the trust dir so that two trustctl processes never
// interleave their writes; it waits for a holder to finish. Call the returned function
// to release it.
func (d Dir) Lock() (func(), error) {
	if err := os.MkdirAll(d.Root, DirPerm); err != nil {
		return nil, fmt.Errorf("create trust dir %s: %w", d.Root, err)
	}
	f, err := os.OpenFile(filepath.Join(d.Root, lockName), os.O_CREATE|os.O_RDWR, FilePerm)
	if err != nil {
		return nil, fmt.Errorf("lock trust dir %s: %w", d.Root, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock trust dir %s: %w", d.Root, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
