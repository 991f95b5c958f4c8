package fileutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range ents {
		ns = append(ns, e.Name())
	}
	return ns
}

// deadPID is the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` command:", err)
	}
	return cmd.Process.Pid
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		ok         bool
	}{
		{"new file", filepath.Join(dir, "out.xlsx"), true},
		{"existing file", file, true},
		{"missing dir", filepath.Join(dir, "nope", "out.xlsx"), false},
		{"parent is a file", filepath.Join(file, "out.xlsx"), false},
		{"path is a dir", dir, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWritable(tc.path)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckWritable(%q) = %v, want ok %v", tc.path, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name %q", err, tc.path)
			}
		})
	}
	if ns := names(t, dir); len(ns) != 1 {
		t.Errorf("CheckWritable left files: %q", ns)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		if err := CheckWritable(filepath.Join(ro, "out.xlsx")); err == nil {
			t.Error("CheckWritable in a read-only dir succeeded")
		}
	}
}

// A run killed mid-write leaves ".<name>.tmp-<pid>-*" beside the output;
// the next run removes those of its own output whose process is gone, and
// leaves a live run's temporary output and everything else alone.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out[1].csv")
	dead, live := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getppid())
	stale := []string{".out[1].csv.tmp-" + dead + "-123", ".out[1].csv.tmp-" + dead + "-abc"}
	others := []string{
		".out[1].csv.tmp-" + live + "-1",                      // a live run's output
		".out[1].csv.tmp-" + strconv.Itoa(os.Getpid()) + "-2", // this process's own
		".out[1].csv.tmp-abc",                                 // no process id: not ours to judge
		".other.csv.tmp-" + dead + "-1", "out[1].csv", ".out1.csv.tmp-" + dead + "-9",
	}
	for _, n := range append(append([]string{}, stale...), others...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStale(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(stale) {
		t.Errorf("removed %v, want %v", removed, stale)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there", n)
		}
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
}

// WriteFile leaves the new content, mode 0600, and no temporary file.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	for _, content := range []string{"old", "new"} {
		if err := WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != FileMode {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if ns := names(t, dir); len(ns) != 1 {
		t.Errorf("left %q", ns)
	}
	if err := WriteFile(filepath.Join(dir, "nope", "r.json"), nil); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing dir: %v", err)
	}
}

// A second lock on a path another holder has is refused, naming the path;
// after Unlock it is free again and no lock file remains.
func TestLockPaths(t *testing.T) {
	dir := t.TempDir()
	out, rep := filepath.Join(dir, "out.csv"), filepath.Join(dir, "run.json")
	a, err := LockPaths(out, "", rep)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files, so a second open in this process
	// conflicts as another process's would.
	if _, err := LockPaths(filepath.Join(dir, "other.csv"), rep); err == nil || !strings.Contains(err.Error(), "run.json") {
		t.Errorf("second lock on the report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".other.csv.lock")); err == nil {
		t.Error("a refused LockPaths kept the locks it had taken")
	}
	a.Unlock()
	b, err := LockPaths(rep)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	b.Unlock()
	if ns := names(t, dir); len(ns) != 0 {
		t.Errorf("lock files left: %q", ns)
	}
}

// The fingerprint is the SHA-256 and size of what was written.
func TestFingerprint(t *testing.T) {
	f := NewFingerprint()
	f.Write([]byte("ab"))
	f.Write([]byte("c"))
	sum, n := f.Sum()
	if sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || n != 3 {
		t.Errorf("Sum() = %s, %d", sum, n)
	}
}
