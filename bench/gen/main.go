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

	"github.com/bankcard4e/bankcard4e/reader"
)

var header = []string{"CustomerRef", "姓名", "银行卡号", "手机号", "身份证号", "Branch"}

var names = []string{"张伟", "王芳", "李娜", "Wei Xiaobao", "欧阳娜娜", "买买提·艾力", "刘洋", "陈静"}

// row returns the cells of generated row i.
func row(i int) []string {
	prefix := fmt.Sprintf("110101%04d%02d%02d%03d", 1950+i%60, 1+i%12, 1+i%28, i%1000)
	id := prefix + string(reader.IDCheckChar(prefix))
	if i%50 == 0 {
		id = prefix + "0"
	}
	card := fmt.Sprintf("6222%015d", i)
	phone := fmt.Sprintf("13%09d", i)
	if i%10 == 0 {
		card = card[:4] + " " + card[4:8] + " " + card[8:]
		phone = "+86 " + phone
	}
	return []string{fmt.Sprintf("C%07d", i), names[i%len(names)], card, phone, id, "Beijing"}
}

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
