// Command gen writes the generated benchmark inputs: N data rows of
// customers, mostly valid, one in ten with messy spellings (spaces in the
// card, +86 before the phone), one in fifty with a wrong ID check
// character, no two rows alike. It mirrors reader's benchmark rows.
//
//	go run ./bench/gen -rows 1000000 -csv big.csv -xlsx big.xlsx
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/internal/fake"
)

// header and row are the made-up list of internal/fake: one generator for
// the tests and the benchmarks.
var header = fake.ListHeader

func row(i int) []string { return fake.MessyRow(i) }

func main() {
	rows := flag.Int("rows", 1_000_000, "data rows")
	csvPath := flag.String("csv", "", "CSV file to write")
	xlsxPath := flag.String("xlsx", "", "XLSX file to write")
	flag.Parse()
	if *csvPath != "" {
		if err := writeCSV(*csvPath, *rows); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	if *xlsxPath != "" {
		if err := writeXLSX(*xlsxPath, *rows); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

func writeCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %q: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	w.Write(header) //nolint:errcheck // w.Error below
	for i := range n {
		w.Write(row(i)) //nolint:errcheck // w.Error below
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	return f.Close()
}

func writeXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	vals := make([]any, len(header))
	set := func(r int, cells []string) error {
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, vals)
	}
	if err := set(1, header); err != nil {
		return fmt.Errorf("xlsx row: %w", err)
	}
	for i := range n {
		if err := set(i+2, row(i)); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("save %q: %w", path, err)
	}
	return nil
}
