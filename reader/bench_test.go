package reader

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchRows is the size of the generated benchmark inputs. SPEC section 10
// measures 1,000,000 rows; -benchrows=10000 checks that the benchmarks work.
var benchRows = flag.Int("benchrows", 1_000_000, "rows in the generated benchmark inputs")

// benchFiles generates the benchmark inputs once per test binary.
type benchFiles struct {
	once      sync.Once
	dir       string
	csv, xlsx string
	err       error
}

var bench benchFiles

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchInputs returns the generated CSV and XLSX inputs, skipping with -short.
func benchInputs(b *testing.B) (csvPath, xlsxPath string) {
	b.Helper()
	if testing.Short() {
		b.Skip("generates large inputs; not with -short")
	}
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "reader-bench-")
		if bench.err != nil {
			return
		}
		bench.csv = filepath.Join(bench.dir, "big.csv")
		bench.xlsx = filepath.Join(bench.dir, "big.xlsx")
		if bench.err = genCSV(bench.csv, *benchRows); bench.err == nil {
			bench.err = genXLSX(bench.xlsx, *benchRows)
		}
		// The generators' garbage must not count in the first benchmark's
		// peak heap.
		runtime.GC()
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.csv, bench.xlsx
}

var benchHeader = []string{"CustomerRef", "姓名", "银行卡号", "手机号", "身份证号", "Branch"}

var benchNames = []string{"张伟", "王芳", "李娜", "Wei Xiaobao", "欧阳娜娜", "买买提·艾力", "刘洋", "陈静"}

// benchRow returns the cells of generated row i: mostly valid, some messy
// spellings, one in 50 with a wrong check character.
func benchRow(i int) []string {
	prefix := fmt.Sprintf("110101%04d%02d%02d%03d", 1950+i%60, 1+i%12, 1+i%28, i%1000)
	id := prefix + string(IDCheckChar(prefix))
	if i%50 == 0 {
		id = prefix + "0"
	}
	card := fmt.Sprintf("6222%015d", i)
	phone := fmt.Sprintf("13%09d", i)
	if i%10 == 0 {
		card = card[:4] + " " + card[4:8] + " " + card[8:]
		phone = "+86 " + phone
	}
	return []string{fmt.Sprintf("C%07d", i), benchNames[i%len(benchNames)], card, phone, id, "Beijing"}
}

func genCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write(benchHeader)
	for i := 0; i < n; i++ {
		w.Write(benchRow(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func genXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := make([]any, len(benchHeader))
	set := func(r int, cells []string) error {
		for i, c := range cells {
			row[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, row)
	}
	if err := set(1, benchHeader); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := set(i+2, benchRow(i)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// peak samples the heap now and then and reports the highest values seen.
type peak struct{ heap, sys uint64 }

func (p *peak) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.heap, p.sys = max(p.heap, m.HeapInuse), max(p.sys, m.Sys)
}

func (p *peak) report(b *testing.B) {
	p.sample()
	b.ReportMetric(float64(p.heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(p.sys)/(1<<20), "peak-sys-MB")
}

const sampleEvery = 1 << 16

// drain calls next until io.EOF, sampling the heap now and then, and
// returns how many rows it read.
func drain(b *testing.B, p *peak, next func() error) int {
	n := 0
	for {
		err := next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if n++; n%sampleEvery == 0 {
			p.sample()
		}
	}
}

func benchReader(b *testing.B, path string) {
	b.ReportAllocs()
	var p peak
	for b.Loop() {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := drain(b, &p, func() error { _, err := r.Next(); return err })
		r.Close()
		if n != *benchRows {
			b.Fatalf("read %d rows, want %d", n, *benchRows)
		}
	}
	p.report(b)
}

// BenchmarkReadCSV1M reads, normalises and checks the generated CSV.
func BenchmarkReadCSV1M(b *testing.B) {
	path, _ := benchInputs(b)
	benchReader(b, path)
}

// BenchmarkReadXLSX1M reads, normalises and checks the generated XLSX.
func BenchmarkReadXLSX1M(b *testing.B) {
	_, path := benchInputs(b)
	benchReader(b, path)
}

// BenchmarkBareCSV1M is the baseline: encoding/csv alone over the same file.
func BenchmarkBareCSV1M(b *testing.B) {
	path, _ := benchInputs(b)
	b.ReportAllocs()
	var p peak
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReader(f))
		r.ReuseRecord = true
		drain(b, &p, func() error { _, err := r.Read(); return err })
		f.Close()
	}
	p.report(b)
}

// BenchmarkBareExcelizeRows1M is the baseline: excelize's streaming Rows
// alone over the same workbook.
func BenchmarkBareExcelizeRows1M(b *testing.B) {
	_, path := benchInputs(b)
	b.ReportAllocs()
	var p peak
	for b.Loop() {
		f, err := excelize.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
				b.Fatal(err)
			}
			if n++; n%sampleEvery == 0 {
				p.sample()
			}
		}
		rows.Close()
		f.Close()
	}
	p.report(b)
}
