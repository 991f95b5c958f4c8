//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package journal

import (
	"errors"
	"os"

	"github.com/bankcard4e/bankcard4e/internal/fileutil"
)

// lock takes an exclusive advisory lock on f, released when f is closed:
// two runs on one journal would send the same rows twice.
func lock(f *os.File) error {
	err := fileutil.Flock(f)
	if errors.Is(err, fileutil.ErrLocked) {
		return errLocked
	}
	return err
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error { return fileutil.SyncDir(dir) }
