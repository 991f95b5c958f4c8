package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tempPrefix names the private directories verify makes under TMPDIR for
// excelize's temporary files: "bankcard4e-<pid>-XXXX".
const tempPrefix = "bankcard4e-"

// privateTempDir makes a directory only this user can enter (0700) for the
// temporary files that hold the Results sheet while it is written. It first
// removes the ones that earlier runs, killed before they could clean up,
// left behind: those whose process is gone.
func privateTempDir() (string, error) {
	removeStaleTempDirs(os.TempDir())
	dir, err := os.MkdirTemp("", tempPrefix+strconv.Itoa(os.Getpid())+"-")
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
	names, _ := filepath.Glob(filepath.Join(root, tempPrefix+"*-*"))
	for _, n := range names {
		rest := strings.TrimPrefix(filepath.Base(n), tempPrefix)
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if fi, err := os.Lstat(n); err == nil && fi.IsDir() && ownedByMe(fi) {
			os.RemoveAll(n)
		}
	}
}
