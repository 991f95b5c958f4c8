package writer

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestReadPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.xlsx")
	if _, ok, err := ReadPrevious(path, dir); ok || err != nil {
		t.Fatalf("missing file: ok %v err %v", ok, err)
	}
	h := batch.Header{Cells: []string{"Name", "BankCard", "Phone", "IdCard"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1}
	w, err := Create(path, h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := &batch.Report{InputSHA256: "abc123", ExitCode: 0, FinishedAt: time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC)}
	if err := w.Close(rep); err != nil {
		t.Fatal(err)
	}
	p, ok, err := ReadPrevious(path, dir)
	if err != nil || !ok {
		t.Fatalf("ok %v err %v", ok, err)
	}
	if p.InputSHA256 != "abc123" || p.ExitCode != "0" || p.Finished == "" {
		t.Errorf("got %+v", p)
	}
	other := filepath.Join(dir, "other.xlsx")
	if err := os.WriteFile(other, []byte("not a workbook"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ReadPrevious(other, dir); ok || err == nil {
		t.Errorf("a file that is not a workbook: ok %v err %v", ok, err)
	}
}
