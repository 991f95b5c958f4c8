package job

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bankcard4e/bankcard4e/internal/fileutil"
)

// The pass before the first call fingerprints the input as a read of its
// own would — for UTF-8 and GB18030 CSV (whose UTF-8 scan stops early) and
// for a workbook — and counts its rows.
func TestScanFingerprintsAndCounts(t *testing.T) {
	for _, name := range []string{"customers.csv", "customers-gbk.csv", "customers.xlsx"} {
		t.Run(name, func(t *testing.T) {
			input := filepath.Join("..", "samples", name)
			p := (&Plan{Input: input, Out: filepath.Join(t.TempDir(), "out.xlsx")}).withDefaults()
			s, err := scan(&p)
			if err != nil {
				t.Fatal(err)
			}
			sum, size, err := fileutil.HashFile(input)
			if err != nil {
				t.Fatal(err)
			}
			if s.sha256 != sum || s.size != size {
				t.Errorf("scan fingerprint %s (%d bytes), the file's %s (%d bytes)", s.sha256, s.size, sum, size)
			}
			if s.rows == 0 {
				t.Error("no rows counted")
			}
		})
	}
}

// An existing .csv output that repeats this input is recognised by the
// same pass; the same file beside another input is not.
func TestScanRecognisesEarlierCSV(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join("..", "samples", "customers.csv")
	p := (&Plan{Input: input, Out: filepath.Join(dir, "out.csv")}).withDefaults()
	if err := os.WriteFile(p.Out, []byte("Name\nx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := scan(&p)
	if err != nil {
		t.Fatal(err)
	}
	if s.sameCSV {
		t.Error("an unrelated .csv was taken for a result of this input")
	}
}
