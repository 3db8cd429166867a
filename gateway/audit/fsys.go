package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegularFile is returned by [OpenFile] when the audit path (or one of
// its segments) exists but is not a regular file (a device, a FIFO, a
// directory): the sink would otherwise read it whole at start.
var ErrNotRegularFile = errors.New("audit: not a regular file")

// FileSystem creates and opens the audit files for writing. The default is
// the operating system's; tests inject one whose writes fail (ENOSPC) and
// later succeed again ([WithFileSystem]). Reading at start and by [Verify]
// always uses the operating system.
type FileSystem interface {
	// OpenFile opens name for writing, as os.OpenFile does.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// SyncDir fsyncs the directory dir, making new entries durable.
	SyncDir(dir string) error
	// Remove deletes a file whose segment line could not be written.
	Remove(name string) error
}

// File is an audit file opened for appending. Each line is one Write.
type File interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// OSFileSystem is the operating system's [FileSystem].
type OSFileSystem struct{}

// OpenFile calls os.OpenFile.
func (OSFileSystem) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// SyncDir opens dir and fsyncs it.
func (OSFileSystem) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// Remove calls os.Remove.
func (OSFileSystem) Remove(name string) error { return os.Remove(name) }

// checkRegular fails unless path is missing or a regular file (symbolic
// links are followed).
func checkRegular(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("audit: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s is a %s; the audit file path must name a regular file", ErrNotRegularFile, path, describeMode(fi.Mode()))
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "non-regular file (" + m.Type().String() + ")"
}

// syncDirOf fsyncs the directory holding path.
func syncDirOf(fsys FileSystem, path string) error { return fsys.SyncDir(filepath.Dir(path)) }
