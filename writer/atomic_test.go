package writer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/xuri/excelize/v2"
)

// bigResults returns rows large enough (about 26 MB of cell text; excelize spills at 16 MiB) to make
// excelize's StreamWriter spill to a temporary file.
func bigResults() []*batch.Result {
	big := strings.Repeat("x", 30000)
	var rs []*batch.Result
	for i := range 80 {
		cells := []string{big, big, big, big, big, big}
		rs = append(rs, &batch.Result{
			Row:     batch.Row{Index: i, Line: i + 2, Cells: cells},
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "0", Description: big, Charged: batch.ChargedYes, RequestID: big, Error: big},
		})
	}
	return rs
}

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

func TestAtomicOutput(t *testing.T) {
	for _, ext := range []string{".xlsx", ".csv"} {
		for _, end := range []string{"close", "abort"} {
			t.Run(ext+"/"+end, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "out"+ext)
				if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
					t.Fatal(err)
				}
				w, err := Create(path, testHeader(), Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range testResults() {
					if err := w.Write(r); err != nil {
						t.Fatal(err)
					}
				}
				// Mid-run: the old file is intact; the new one is a hidden 0600 temp file beside it.
				if b, _ := os.ReadFile(path); string(b) != "previous" {
					t.Errorf("output changed before Close: %q", b)
				}
				ns := names(t, dir)
				if len(ns) != 2 {
					t.Fatalf("dir holds %q, want the output and one temp file", ns)
				}
				tmp := ns[0]
				if tmp == "out"+ext {
					tmp = ns[1]
				}
				if !strings.HasPrefix(tmp, ".out"+ext+".tmp-") {
					t.Errorf("temp file %q not named .out%s.tmp-*", tmp, ext)
				}
				checkMode(t, filepath.Join(dir, tmp))
				var private string
				if x, ok := w.out.(*xlsxOut); ok {
					private = x.tempDir
					fi, err := os.Stat(private)
					if err != nil || fi.Mode().Perm() != 0o700 {
						t.Errorf("private temp dir %q: %v, mode %v, want 0700", private, err, fi.Mode().Perm())
					}
				}

				if end == "close" {
					if err := w.Close(testReport()); err != nil {
						t.Fatal(err)
					}
					if b, _ := os.ReadFile(path); string(b) == "previous" {
						t.Error("output not replaced at Close")
					}
					checkMode(t, path)
				} else {
					if err := w.Abort(); err != nil {
						t.Fatal(err)
					}
					if b, _ := os.ReadFile(path); string(b) != "previous" {
						t.Errorf("Abort changed the output: %q", b)
					}
				}
				if ns := names(t, dir); len(ns) != 1 || ns[0] != "out"+ext {
					t.Errorf("dir holds %q after %s, want only the output", ns, end)
				}
				if private != "" {
					if _, err := os.Stat(private); !os.IsNotExist(err) {
						t.Errorf("private temp dir still there after %s: %v", end, err)
					}
				}
				if err := w.Abort(); err != nil {
					t.Errorf("Abort after %s = %v, want nil", end, err)
				}
				if err := w.Write(testResults()[0]); err == nil {
					t.Errorf("Write after %s succeeded", end)
				}
			})
		}
	}
}

func TestNewOutputMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.xlsx")
	writeAll(t, path, Options{}, testReport(), testResults())
	checkMode(t, path)
}

// TestTempDirUsed shows that excelize spills the stream into Options.TempDir,
// and that its files are gone after Close and Abort.
func TestTempDirUsed(t *testing.T) {
	for _, end := range []string{"close", "abort"} {
		t.Run(end, func(t *testing.T) {
			tempDir := t.TempDir()
			path := filepath.Join(t.TempDir(), "out.xlsx")
			w, err := Create(path, testHeader(), Options{TempDir: tempDir})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range bigResults() {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			ns := names(t, tempDir)
			if len(ns) == 0 || !strings.HasPrefix(ns[0], "excelize-") {
				t.Fatalf("temp dir holds %q, want excelize's stream file", ns)
			}
			checkMode(t, filepath.Join(tempDir, ns[0]))
			if end == "close" {
				err = w.Close(testReport())
			} else {
				err = w.Abort()
			}
			if err != nil {
				t.Fatal(err)
			}
			if ns := names(t, tempDir); len(ns) != 0 {
				t.Errorf("temp dir holds %q after %s", ns, end)
			}
			if _, err := os.Stat(tempDir); err != nil {
				t.Errorf("the caller's temp dir was removed: %v", err)
			}
		})
	}
}

func TestCloseFailureKeepsNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	w, err := Create(path, testHeader(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A directory in the way makes the rename fail.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Close = %v, want an error naming %s", err, path)
	}
	if ns := names(t, dir); len(ns) != 1 {
		t.Errorf("dir holds %q, want only the directory in the way", ns)
	}
}

// checkMode fails unless the file at path has mode 0600.
func checkMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", filepath.Base(path), fi.Mode().Perm())
	}
}

func TestXLSXRowLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	w, err := Create(path, testHeader(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.out.(*xlsxOut).rows = excelize.TotalRows - 1 // as if the sheet were nearly full
	r := testResults()[0]
	if err := w.Write(r); err != nil {
		t.Fatalf("last row: %v", err)
	}
	err = w.Write(r)
	if err == nil || !strings.Contains(err.Error(), ".csv") {
		t.Errorf("row past the sheet limit: %v, want an error suggesting .csv", err)
	}
}
