package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/reader"
)

func TestTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.xlsx")
	if _, _, err := checkRun(t, "template", path); err != nil {
		t.Fatalf("template: %v", err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	for _, col := range []string{"A", "B", "C", "D"} {
		for _, styleOf := range []func() (int, error){
			func() (int, error) { return f.GetColStyle(sheet, col) },
			func() (int, error) { return f.GetCellStyle(sheet, col+"1") },
		} {
			id, err := styleOf()
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.NumFmt != 49 {
				t.Errorf("column %s: number format %d, want 49 (Text)", col, st.NumFmt)
			}
		}
	}
	r, err := reader.Open(path, reader.Options{})
	if err != nil {
		t.Fatalf("the reader does not recognise the template: %v", err)
	}
	defer r.Close()
	h := r.Header()
	if h.Name != 0 || h.BankCard != 1 || h.Phone != 2 || h.IDCard != 3 {
		t.Errorf("header = %+v", h)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next = %v, want io.EOF for an empty template", err)
	}
}

func TestTemplateRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	if err := os.WriteFile(path, []byte("customer data"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := checkRun(t, "template", path)
	if exitCode(err) != exitFatal || !strings.Contains(err.Error(), "exists") {
		t.Errorf("template over an existing file: exit %d, %v", exitCode(err), err)
	}
	if data, _ := os.ReadFile(path); string(data) != "customer data" {
		t.Errorf("the existing file was changed")
	}
}

func TestTemplateUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{}, {filepath.Join(dir, "list.csv")}, {"a.xlsx", "b.xlsx"}} {
		if _, _, err := checkRun(t, append([]string{"template"}, args...)...); exitCode(err) != exitFatal {
			t.Errorf("template %v: exit %d, want 1", args, exitCode(err))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "list.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("template wrote a .csv file")
	}
}
