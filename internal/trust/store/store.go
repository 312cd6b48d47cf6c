// Package store is the on-disk layout of a trust directory shared with notary and docker:
// private/ for keys, tuf/<GUN>/metadata for cached metadata. Every write is atomic and
// private (files 0600, folders 0700).
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/trustctl/trustctl/internal/fsread"
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

// ReadFileLimit reads a regular file of at most limit bytes: a FIFO or device planted
// in the trust dir, or given as a key or certificate, cannot block the reader, and a
// huge file cannot exhaust memory (fsread.ReadFile).
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	return fsread.ReadFile(path, limit)
}

// WriteFileAtomic writes data to path with mode 0600, creating missing folders with
// 0700: a temporary file in the same folder is written, synced and renamed over path,
// so a reader sees the old file or the new one, never a part.
func WriteFileAtomic(path string, data []byte) error {
	return WriteFileAtomicPerm(path, data, FilePerm)
}

// WriteFileAtomicPerm is WriteFileAtomic with another mode, for files that are not
// secret (reports, public keys).
func WriteFileAtomicPerm(path string, data []byte, perm os.FileMode) error {
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
	if err := tmp.Chmod(perm); err != nil {
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
	// O_NOFOLLOW: a symlink planted as the lock file must not make trustctl create or
	// truncate a file elsewhere; O_NONBLOCK: a FIFO must not block the open.
	f, err := os.OpenFile(filepath.Join(d.Root, lockName), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, FilePerm)
	if err != nil {
		return nil, fmt.Errorf("lock trust dir %s: %w", d.Root, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock trust dir %s: %s is not a regular file", d.Root, f.Name())
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

// PermissionWarnings names, one line each, the trust dir and private/ when group or
// others may write to them, as ssh warns about a key others can read: whoever can write
// there can plant keys and trust data. A folder that does not exist yet is no warning.
func (d Dir) PermissionWarnings() []string {
	var out []string
	for _, dir := range []string{d.Root, d.PrivateDir()} {
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm()&0o022 == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s: permissions %04o are too open: group or others can write; chmod go-w %s", dir, st.Mode().Perm(), dir))
	}
	return out
}
