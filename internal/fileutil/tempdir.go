package fileutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TempPrefix names the private directories made under TMPDIR for
// excelize's temporary files: "bankcard4e-<pid>-XXXX".
const TempPrefix = "bankcard4e-"

// PrivateTempDir makes a directory only this user can enter (0700) for the
// temporary files that hold a sheet with personal data while it is written
// or read. It first removes the ones that earlier runs, killed before they
// could clean up, left behind: those whose process is gone.
func PrivateTempDir() (string, error) {
	removeStaleTempDirs(os.TempDir())
	dir, err := os.MkdirTemp("", TempPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("make private temporary directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("make private temporary directory: %w", err)
	}
	return dir, nil
}

// removeStaleTempDirs removes the private directories under root whose
// owning process no longer runs. It is best effort: a failure leaves the
// directory for the next run.
func removeStaleTempDirs(root string) {
	names, _ := filepath.Glob(filepath.Join(root, TempPrefix+"*-*"))
	for _, n := range names {
		pid, ok := tempOwner(strings.TrimPrefix(filepath.Base(n), TempPrefix))
		if !ok || pid == os.Getpid() || ProcessAlive(pid) {
			continue
		}
		if fi, err := os.Lstat(n); err == nil && fi.IsDir() && ownedByMe(fi) {
			os.RemoveAll(n)
		}
	}
}
