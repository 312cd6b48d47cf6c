// Package fsread reads local input files (policies, certificates, stack files, key
// files) the safe way: regular files only, never blocking on a FIFO or a device, and
// never more than a cap, so that a hostile path cannot hang the process or exhaust its
// memory. It imports nothing of trustctl, so every layer may use it.
package fsread

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Caps for the files trustctl reads. They are far above any real file of the kind.
const (
	// PolicyLimit caps a policy file.
	PolicyLimit = 1 << 20
	// PEMLimit caps a certificate, CA bundle or key file.
	PEMLimit = 1 << 20
	// StackLimit caps one compose or stack file.
	StackLimit = 4 << 20
)

// ErrNotRegular marks a path that is a FIFO, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge marks a file over its cap.
var ErrTooLarge = errors.New("file too large")

// Open opens a regular file for reading. O_NONBLOCK makes opening a FIFO return at
// once instead of waiting for a writer; the mode is then checked on the open file
// itself (fstat), so nothing can be swapped in between.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(st.Mode()))}
	}
	return f, nil
}

// ReadFile reads a regular file of at most limit bytes. Its errors are *fs.PathError
// naming the file; errors.Is tells ErrNotRegular and ErrTooLarge.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)}
	}
	return data, nil
}

// kind names a file mode in words for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
