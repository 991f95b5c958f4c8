package writer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// fileMode is the mode of every file this package creates: output files
// hold personal data and billing facts, so only their owner may read them.
const fileMode = 0o600

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

// createTemp creates an empty temporary file beside path, mode 0600, named
// so that it is hidden and recognisable: ".<name>.tmp-XXXX".
func createTemp(path string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %q: %w", path, err)
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create temporary file for %q: %w", path, err)
	}
	return f, nil
}

// commit makes the finished temporary file tmp durable and renames it over
// path. On failure tmp is removed and path is left as it was.
func commit(tmp *os.File, path string) error {
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
	syncDir(filepath.Dir(path))
	return nil
}

// discard closes and removes the temporary file tmp.
func discard(tmp *os.File) error {
	err := tmp.Close()
	if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = rmErr
	}
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("remove temporary file %q: %w", tmp.Name(), err)
	}
	return nil
}

// syncDir flushes a directory entry after a rename, so that the new name
// survives a crash. It is best effort: some systems cannot sync directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// writeFileAtomic writes data to path through a temporary file beside it,
// mode 0600, fsynced, then renamed: a reader sees the old file or the new
// one, never a part.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		discard(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return commit(tmp, path)
}

// RemoveStale deletes the temporary files that a run killed before it could
// clean up left beside path (".<name>.tmp-XXXX": part of an output, with
// personal data). It returns the names it removed. Call it only while no
// other run writes path (verify holds the journal's lock).
func RemoveStale(path string) ([]string, error) {
	pattern := filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".tmp-*")
	names, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("look for stale temporary files of %q: %w", path, err)
	}
	var removed []string
	for _, n := range names {
		if err := os.Remove(n); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("remove stale temporary file: %w", err)
		}
		removed = append(removed, n)
	}
	return removed, nil
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
