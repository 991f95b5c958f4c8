package writer

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/xuri/excelize/v2"
)

// benchRows is the number of rows each benchmark iteration writes:
// -rows N after the package on the go test command line, or the
// BANKCARD4E_BENCH_ROWS environment variable; 10,000 by default. SPEC
// section 10 measures 1,000,000:
//
//	go test -run '^$' -bench 'WriteXLSX|BareStreamWriter' -benchtime 1x ./writer -rows 1000000
var benchRows = flag.Int("rows", envInt("BANKCARD4E_BENCH_ROWS", 10_000), "rows per benchmark iteration")

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchPool is a set of realistic result rows that the benchmarks cycle
// through; the customer number cell is made per row (in both benchmarks
// alike) so that no two rows are equal.
func benchPool() []*batch.Result {
	names := []string{"张三", "李四", "王小明", "欧阳娜娜", "Wang Wei", "赵六"}
	outcomes := []batch.Outcome{
		{Status: batch.StatusVerified, Result: "0", Description: "认证通过", Charged: batch.ChargedYes},
		{Status: batch.StatusVerified, Result: "-1", Description: "认证未通过", Charged: batch.ChargedYes},
		{Status: batch.StatusVerified, Result: "-4", Description: "银行卡号不正确", Charged: batch.ChargedNo},
		{Status: batch.StatusVerified, Result: "-13", Description: "银行卡已挂失", Charged: batch.ChargedYes},
		{Status: batch.StatusReused, Result: "0", Description: "认证通过", Charged: batch.ChargedNo},
		{Status: batch.StatusDuplicate, Result: "0", Description: "认证通过", Charged: batch.ChargedNo},
		{Status: batch.StatusInvalid, Charged: batch.ChargedNo, Error: "idcard: check character is 3, want X"},
		{Status: batch.StatusError, Charged: batch.ChargedNo, Error: "InternalError: internal error"},
	}
	pool := make([]*batch.Result, 1024)
	for i := range pool {
		o := outcomes[i%len(outcomes)]
		if o.Result != "" {
			o.RequestID = "3c140219-cfe9-470e-b241-" + strconv.Itoa(100000000000+i*7919)
			o.AnsweredAt = time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC).Add(time.Duration(i) * time.Second)
		}
		pool[i] = &batch.Result{
			Row: batch.Row{Index: i, Cells: []string{
				"", // customer number, set per row
				names[i%len(names)],
				"622202" + strconv.Itoa(1000000000000+i*104729),
				"138" + strconv.Itoa(10000000+i*7),
				"110101" + strconv.Itoa(19900307000+i) + "X",
				"",
			}},
			Outcome: o,
		}
	}
	return pool
}

// BenchmarkWriteXLSX writes benchRows rows through a Writer: styles,
// frozen header, autofilter, Summary sheet with its chart, fsync, rename.
func BenchmarkWriteXLSX(b *testing.B) {
	pool, h, rep := benchPool(), testHeader(), testReport()
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.xlsx")
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		w, err := Create(path, h, Options{TempDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		for i := range *benchRows {
			r := pool[i%len(pool)]
			r.Row.Cells[0] = strconv.Itoa(100000 + i)
			r.Row.Index = i
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(rep); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRow(b, cpu0)
}

// BenchmarkBareStreamWriter is the yardstick of SPEC section 10: the same
// cells as BenchmarkWriteXLSX — the same header row, then per row the same
// 14 strings (6 input cells, 8 result cells: the verdict and the answer's
// time made per row as Writer makes them), an empty one left out as nil —
// through a bare excelize StreamWriter with a reused []any row, no styles,
// panes, autofilter, print setup or Summary sheet, saved with SaveAs.
func BenchmarkBareStreamWriter(b *testing.B) {
	pool, h := benchPool(), testHeader()
	dir := b.TempDir()
	path := filepath.Join(dir, "bare.xlsx")
	header := make([]any, 0, len(h.Cells)+len(resultColumns))
	for _, c := range h.Cells {
		header = append(header, c)
	}
	for _, c := range resultColumns {
		header = append(header, c)
	}
	vals := make([]any, len(header))
	cells := make([]string, len(header))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		f := excelize.NewFile(excelize.Options{TmpDir: dir})
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		if err := sw.SetRow("A1", header); err != nil {
			b.Fatal(err)
		}
		for i := range *benchRows {
			r := pool[i%len(pool)]
			r.Row.Cells[0] = strconv.Itoa(100000 + i)
			n := copy(cells, r.Row.Cells)
			o := &r.Outcome
			at := ""
			if !o.AnsweredAt.IsZero() {
				at = o.AnsweredAt.UTC().Format(answeredAtLayout)
			}
			cells[n], cells[n+1], cells[n+2], cells[n+3] = string(o.Status), string(o.Verdict()), o.Result, o.Description
			cells[n+4], cells[n+5], cells[n+6], cells[n+7] = string(o.Charged), at, o.RequestID, o.Error
			for j, s := range cells {
				if s == "" {
					vals[j] = nil
				} else {
					vals[j] = s
				}
			}
			if err := sw.SetRow("A"+strconv.Itoa(i+2), vals); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.SaveAs(path); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRow(b, cpu0)
}

// cpuTime is the CPU time (user + system) the process has used. On a busy
// machine it varies less than the wall time between runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPerRow adds wall and CPU nanoseconds per row to the results; CPU
// includes the garbage collector's work on the second core.
func reportPerRow(b *testing.B, cpu0 time.Duration) {
	rows := float64(b.N) * float64(*benchRows)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/rows, "cpu-ns/row")
}
