package writer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// writeAll writes results through a Writer to path and closes it with rep.
func writeAll(t *testing.T, path string, o Options, rep *batch.Report, results []*batch.Result) {
	t.Helper()
	w, err := Create(path, testHeader(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(rep); err != nil {
		t.Fatal(err)
	}
}

// dumpSheet returns a sheet's cells as TSV, tabs and newlines in cells escaped.
func dumpSheet(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	esc := strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`)
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(esc.Replace(c))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestXLSXGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		mask bool
	}{
		{"plain", false},
		{"masked", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.xlsx")
			writeAll(t, path, Options{Mask: tc.mask}, testReport(), testResults())
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got, want := f.GetSheetList(), []string{resultsSheet, summarySheet}; !cmp.Equal(got, want) {
				t.Errorf("sheets = %q, want %q", got, want)
			}
			if i := f.GetActiveSheetIndex(); i != 0 {
				t.Errorf("active sheet %d, want Results", i)
			}
			golden(t, "results_"+tc.name+".golden", dumpSheet(t, f, resultsSheet))
			golden(t, "summary.golden", dumpSheet(t, f, summarySheet))
		})
	}
}

func TestXLSXNoPrice(t *testing.T) {
	rep := testReport()
	rep.Price, rep.Tally = nil, nil
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{}, rep, testResults())
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dump := dumpSheet(t, f, summarySheet)
	if !strings.Contains(dump, "Price per charged call\tnot given") || strings.Contains(dump, "Cost") {
		t.Errorf("summary without price:\n%s", dump)
	}
	if hasChart(t, path) {
		t.Error("chart written for an empty tally")
	}
}

// hasChart reports whether the workbook at path holds a chart part.
func hasChart(t *testing.T, path string) bool {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			return true
		}
	}
	return false
}

func TestXLSXStyles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{}, testReport(), testResults())
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	t.Run("frozen header", func(t *testing.T) {
		p, err := f.GetPanes(resultsSheet)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
			t.Errorf("panes = %+v, want frozen below row 1", p)
		}
	})
	t.Run("autofilter", func(t *testing.T) {
		// 6 input + 6 result columns = L; header + 8 rows = 9.
		raw := readPart(t, path, "xl/worksheets/sheet1.xml")
		if !strings.Contains(strings.ReplaceAll(raw, "$", ""), `<autoFilter ref="A1:L9"`) {
			t.Errorf("no autoFilter A1:L9 in the Results sheet")
		}
		raw = readPart(t, path, "xl/workbook.xml")
		if !strings.Contains(raw, "_xlnm._FilterDatabase") {
			t.Errorf("no _FilterDatabase defined name")
		}
	})
	t.Run("header styled", func(t *testing.T) {
		st := cellStyle(t, f, "A1")
		if st.Font == nil || !st.Font.Bold || len(st.Fill.Color) == 0 {
			t.Errorf("header style = %+v, want bold and filled", st)
		}
	})
	t.Run("result fill by class", func(t *testing.T) {
		// Column G is Status; rows 2..9 are the results in testResults order.
		seen := map[string]string{}
		for i, r := range testResults() {
			cell, _ := excelize.CoordinatesToCellName(7, i+2)
			st := cellStyle(t, f, cell)
			if len(st.Fill.Color) == 0 {
				t.Errorf("%s (%s): no fill", cell, r.Outcome.Status)
				continue
			}
			fill := st.Fill.Color[0]
			cls := classLabels[classOf(&r.Outcome)]
			if prev, ok := seen[fill]; ok && prev != cls {
				t.Errorf("%s: classes %q and %q share fill %s", cell, prev, cls, fill)
			}
			seen[fill] = cls
			// Every other non-empty result cell of the row has the same fill.
			for col := 8; col <= 12; col++ {
				c2, _ := excelize.CoordinatesToCellName(col, i+2)
				if v, _ := f.GetCellValue(resultsSheet, c2); v == "" {
					continue
				}
				if st2 := cellStyle(t, f, c2); len(st2.Fill.Color) == 0 || st2.Fill.Color[0] != fill {
					t.Errorf("%s fill differs from %s", c2, cell)
				}
			}
		}
		if len(seen) != int(numClasses) {
			t.Errorf("%d distinct fills, want %d", len(seen), numClasses)
		}
	})
	t.Run("identifiers are strings", func(t *testing.T) {
		for _, cell := range []string{"A2", "C2", "D2", "E2", "H3"} { // 00123, card, phone, ID, Result -1
			typ, err := f.GetCellType(resultsSheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeInlineString {
				t.Errorf("%s type = %v, want inline string", cell, typ)
			}
		}
		v, _ := f.GetCellValue(resultsSheet, "E2")
		if v != "110101199003071234" {
			t.Errorf("E2 = %q, want the ID unchanged", v)
		}
		v, _ = f.GetCellValue(resultsSheet, "A2")
		if v != "00123" {
			t.Errorf("A2 = %q, want 00123 with its zeros", v)
		}
	})
}

// cellStyle returns the style of a cell of the Results sheet.
func cellStyle(t *testing.T, f *excelize.File, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(resultsSheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// readPart returns one part of the zip file at path.
func readPart(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var b bytes.Buffer
			if _, err := b.ReadFrom(rc); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
	}
	t.Fatalf("%s: no part %s", path, name)
	return ""
}

func TestSummaryChart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{}, testReport(), testResults())
	if !hasChart(t, path) {
		t.Fatal("no chart in the workbook")
	}
	chart := readPart(t, path, "xl/charts/chart1.xml")
	for _, ref := range []string{"Summary!$A$", "Summary!$D$"} {
		if !strings.Contains(chart, ref) {
			t.Errorf("chart does not refer to %s…", ref)
		}
	}
}

func TestCSV(t *testing.T) {
	for _, tc := range []struct {
		name string
		mask bool
	}{{"plain", false}, {"masked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.CSV")
			writeAll(t, path, Options{Mask: tc.mask}, nil, testResults())
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			body, ok := bytes.CutPrefix(data, []byte(utf8BOM))
			if !ok {
				t.Fatal("no UTF-8 BOM")
			}
			if !bytes.Contains(body, []byte("\"line one\r\nline two\"")) || !bytes.Contains(body, []byte(`"VIP, ""gold"""`)) {
				t.Errorf("newline or comma/quote not quoted:\n%s", body)
			}
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{append(append([]string{}, testHeader().Cells...), resultColumns[:]...)}
			for _, r := range testResults() {
				cells := append([]string{}, r.Row.Cells...)
				for len(cells) < len(testHeader().Cells) {
					cells = append(cells, "")
				}
				if tc.mask {
					cells[1] = Mask(batch.FieldName, cells[1])
					cells[2] = Mask(batch.FieldBankCard, cells[2])
					cells[3] = Mask(batch.FieldPhone, cells[3])
					cells[4] = Mask(batch.FieldIDCard, cells[4])
				}
				o := r.Outcome
				cells = append(cells, string(o.Status), o.Result, o.Description, string(o.Charged), o.RequestID, o.Error)
				want = append(want, cells)
			}
			if diff := cmp.Diff(want, recs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if tc.mask && strings.Contains(string(body), "6222021234567891234") {
				t.Error("masked CSV holds a full card number")
			}
		})
	}
}

func TestCreateRejectsType(t *testing.T) {
	for _, name := range []string{"out.xls", "out.txt", "out"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			_, err := Create(path, testHeader(), Options{})
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("Create(%q) = %v, want an error naming the path", name, err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("left %d files behind", len(ents))
			}
		})
	}
}
