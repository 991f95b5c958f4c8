package fileutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLocked means another running process holds the lock.
var ErrLocked = errors.New("another run is using it")

// Lock is an exclusive lock on the paths one run writes. It lives in
// hidden ".<name>.lock" files beside them, held with flock: released when
// the process ends, however it ends.
type Lock struct{ files []*os.File }

// LockPaths locks every non-empty path, or none: it fails with an error
// wrapping ErrLocked, naming the path, when another process holds one.
func LockPaths(paths ...string) (*Lock, error) {
	l := &Lock{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		f, err := lockOne(lockName(p))
		if err != nil {
			l.Unlock()
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("%q: %w (two runs writing one file would both pay for its rows)", p, err)
			}
			return nil, fmt.Errorf("lock %q: %w", p, err)
		}
		l.files = append(l.files, f)
	}
	return l, nil
}

func lockName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// lockOne opens and locks name, retrying when the file it locked was
// removed by the previous holder meanwhile.
func lockOne(name string) (*os.File, error) {
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, FileMode)
		if err != nil {
			return nil, err
		}
		if err := Flock(f); err != nil {
			f.Close()
			return nil, err
		}
		if sameFile(f, name) {
			return f, nil
		}
		f.Close()
	}
}

// Unlock removes the lock files and releases the locks. It is safe to call
// on a nil Lock and more than once.
func (l *Lock) Unlock() {
	if l == nil {
		return
	}
	for _, f := range l.files {
		os.Remove(f.Name())
		f.Close()
	}
	l.files = nil
}
