// Package fileutil holds the file handling that the command, the writer and
// the journal share: atomic writes made durable with fsync of the file and
// its directory, temporary files tagged with the id of the process that
// made them (so a later run removes only a dead process's leftovers), the
// private 0700 temporary directory, the lock a run holds on the paths it
// writes, and the input's fingerprint.
package fileutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileMode is the mode of every file the tool creates: outputs hold
// personal data and billing facts, so only their owner may read them.
const FileMode = 0o600

// CheckWritable reports whether a file can be created at path: its directory
// exists and accepts a new file, and path is not a directory. It creates and
// removes a temporary file beside path, so it is meant to run before any
// call is sent, not to guarantee the later write.
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("cannot write %q: it is a directory", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot write %q: %q is not a directory", path, dir)
	}
	f, err := os.CreateTemp(dir, ".bankcard4e-check-*")
	if err != nil {
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	name := f.Name()
	err = f.Close()
	if rmErr := os.Remove(name); err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("cannot write %q: %w", path, err)
	}
	return nil
}

// tempTag is the part of a temporary file's name before its random tail:
// ".<name>.tmp-<pid>-".
func tempTag(path string, pid int) string {
	return "." + filepath.Base(path) + ".tmp-" + strconv.Itoa(pid) + "-"
}

// CreateTemp creates an empty temporary file beside path, mode 0600, named
// so that it is hidden and names this process: ".<name>.tmp-<pid>-XXXX".
func CreateTemp(path string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), tempTag(path, os.Getpid())+"*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %q: %w", path, err)
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create temporary file for %q: %w", path, err)
	}
	return f, nil
}

// Commit makes the finished temporary file tmp durable and renames it over
// path, then makes the rename durable. On failure tmp is removed and path
// is left as it was.
func Commit(tmp *os.File, path string) error {
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %q: %w", path, err)
	}
	_ = SyncDir(filepath.Dir(path)) // some systems cannot sync directories
	return nil
}

// Discard closes and removes the temporary file tmp.
func Discard(tmp *os.File) error {
	err := tmp.Close()
	if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = rmErr
	}
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("remove temporary file %q: %w", tmp.Name(), err)
	}
	return nil
}

// SyncDir makes a rename or removal in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFile writes data to path through a temporary file beside it, mode
// 0600, fsynced, then renamed: a reader sees the old file or the new one,
// never a part.
func WriteFile(path string, data []byte) error {
	tmp, err := CreateTemp(path)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		Discard(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return Commit(tmp, path)
}

// RemoveStale deletes the temporary files beside path that a process
// killed before it could clean up left behind (".<name>.tmp-<pid>-XXXX":
// part of an output, with personal data). A file whose process still runs
// — another run writing the same path right now — is left alone, as is
// anything whose name carries no process id. It returns the names it
// removed.
func RemoveStale(path string) ([]string, error) {
	pattern := filepath.Join(filepath.Dir(path), globEscape("."+filepath.Base(path)+".tmp-")+"*")
	names, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("look for stale temporary files of %q: %w", path, err)
	}
	prefix := "." + filepath.Base(path) + ".tmp-"
	var removed []string
	for _, n := range names {
		pid, ok := tempOwner(strings.TrimPrefix(filepath.Base(n), prefix))
		if !ok || pid == os.Getpid() || ProcessAlive(pid) {
			continue
		}
		if err := os.Remove(n); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("remove stale temporary file: %w", err)
		}
		removed = append(removed, n)
	}
	return removed, nil
}

// tempOwner parses the "<pid>-XXXX" tail of a temporary name.
func tempOwner(rest string) (int, bool) {
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	return pid, ok && err == nil && pid > 0
}

// globEscape quotes the pattern characters of a file name.
func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
