// Command bare is the baseline of the check benchmarks of SPEC section 10:
// a bare encoding/csv read, or a bare excelize Rows() pass, over a file,
// touching every cell and nothing more. It prints the rows it read.
//
//	go run ./bench/bare -mode csv big.csv
//	go run ./bench/bare -mode xlsx big.xlsx
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
)

func main() {
	mode := flag.String("mode", "csv", "csv: encoding/csv read; xlsx: excelize Rows() pass over the first sheet")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: bare -mode csv|xlsx FILE")
		os.Exit(2)
	}
	var (
		n, cells int
		err      error
	)
	switch *mode {
	case "csv":
		n, cells, err = readCSV(flag.Arg(0))
	case "xlsx":
		n, cells, err = readXLSX(flag.Arg(0))
	default:
		err = fmt.Errorf("mode %q: want csv or xlsx", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	fmt.Printf("rows=%d cells=%d\n", n, cells)
}

// readCSV reads every record with a reused record slice.
func readCSV(path string) (rows, cells int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, cells, nil
		}
		if err != nil {
			return rows, cells, fmt.Errorf("read %q: %w", path, err)
		}
		rows++
		cells += len(rec)
	}
}

// readXLSX streams the first sheet with Rows() and reads every row's cells.
func readXLSX(path string) (rows, cells int, err error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	it, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return 0, 0, fmt.Errorf("rows of %q: %w", path, err)
	}
	defer it.Close()
	for it.Next() {
		cols, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return rows, cells, fmt.Errorf("read %q: %w", path, err)
		}
		rows++
		cells += len(cols)
	}
	return rows, cells, it.Error()
}
