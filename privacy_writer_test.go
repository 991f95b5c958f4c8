//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// maskPatterns are the shapes of masked cells (SPEC section 8); a value
// too short to keep anything is all stars.
var maskPatterns = map[string]*regexp.Regexp{
	batch.FieldName:     regexp.MustCompile(`^(.\*+|\*+)$`),
	batch.FieldBankCard: regexp.MustCompile(`^(\p{Nd}{6}\*+\p{Nd}{4}|\*+)$`),
	batch.FieldIDCard:   regexp.MustCompile(`^(\p{Nd}{6}\*+[\p{Nd}Xx]{3}[\p{Nd}Xx]|\*+)$`),
	batch.FieldPhone:    regexp.MustCompile(`^(\d{3}\*{4}\d{4}|\*+)$`),
}

// Issue 6.5, --mask: the output sheet shows the four columns masked
// (622202******1109, 166****5737, 110101********9492, 张*), and no full name,
// card, phone or ID remains anywhere in the workbook's XML, nor in a .csv
// output. Without --mask the same scan finds them.
func TestMaskedOutput(t *testing.T) {
	_, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	for _, input := range []string{filepath.Join("samples", "customers.xlsx"), filepath.Join("samples", "customers.csv")} {
		ns := personalData(t, input)
		for _, tt := range []struct {
			out  string
			mask bool
		}{{"masked.xlsx", true}, {"masked.csv", true}, {"plain.xlsx", false}} {
			t.Run(filepath.Base(input)+"/"+tt.out, func(t *testing.T) {
				out := filepath.Join(dir, filepath.Base(input)+"."+tt.out)
				args := []string{"verify", "--endpoint", url, "--qps", "500", "--quiet", "--out", out}
				if tt.mask {
					args = append(args, "--mask")
				}
				_, stderr, code := runApp(t, context.Background(), append(args, input)...)
				if code != exitOK {
					t.Fatalf("exit %d; stderr:\n%s", code, stderr)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				parts := map[string][]byte{"file": data}
				if strings.HasSuffix(out, ".xlsx") {
					parts = zipParts(t, data)
				}
				var all []needle
				for name, part := range parts {
					hits := found(part, ns)
					all = append(all, hits...)
					if tt.mask {
						for _, n := range hits {
							t.Errorf("%s: %s holds %v", filepath.Base(out), name, n)
						}
					}
				}
				if !tt.mask {
					if len(all) == 0 {
						t.Error("the unmasked workbook shows no personal data: the scan is blind")
					}
					for name, part := range parts {
						if name != "xl/worksheets/sheet1.xml" {
							expectNone(t, name, part, withHashes(ns))
						}
					}
					return
				}
				rows := outputRows(t, out)
				src, err := reader.Open(input, reader.Options{})
				if err != nil {
					t.Fatal(err)
				}
				h := src.Header()
				src.Close()
				cols := map[string]int{batch.FieldName: h.Name, batch.FieldBankCard: h.BankCard, batch.FieldPhone: h.Phone, batch.FieldIDCard: h.IDCard}
				for i, r := range rows[1:] {
					for field, c := range cols {
						if c < len(r) && r[c] != "" && !maskPatterns[field].MatchString(r[c]) {
							t.Errorf("row %d: %s %q is not masked", i+1, field, r[c])
						}
					}
				}
				first := rows[1]
				want := []string{"张*", "622202******1109", "166****5737", "110101********9492"}
				got := []string{first[cols[batch.FieldName]], first[cols[batch.FieldBankCard]], first[cols[batch.FieldPhone]], first[cols[batch.FieldIDCard]]}
				if !slices.Equal(got, want) {
					t.Errorf("first row masked as %q, want %q", got, want)
				}
			})
		}
	}
}

// outputRows reads the Results sheet of an .xlsx output, or a .csv output.
func outputRows(t *testing.T, path string) [][]string {
	t.Helper()
	if strings.HasSuffix(path, ".csv") {
		return fake.ReadCSV(t, path)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
