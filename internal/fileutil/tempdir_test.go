package fileutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A killed run's private directory is removed by the next run; a running
// one's, and anything else, is left alone.
func TestPrivateTempDirRemovesStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// A process that has exited: its id is free.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` command:", err)
	}
	dead := filepath.Join(tmp, TempPrefix+strconv.Itoa(cmd.Process.Pid)+"-1")
	alive := filepath.Join(tmp, TempPrefix+strconv.Itoa(os.Getppid())+"-2")
	other := filepath.Join(tmp, "bankcard4e-notes")
	for _, d := range []string{dead, alive, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := PrivateTempDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("private dir: %v, mode %v", err, fi.Mode())
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("a dead run's directory was kept: %v", err)
	}
	for _, d := range []string{alive, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}
