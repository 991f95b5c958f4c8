package writer

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
			rep := testReport()
			writeAll(t, path, Options{Mask: tc.mask}, rep, testResults())
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

			// The verdict counts of the Summary are those of the rows.
			rows, _ := f.GetRows(resultsSheet)
			col := column(t, rows[0], "Verdict")
			fromRows := map[string]int{}
			for _, r := range rows[1:] {
				fromRows[r[col]]++
			}
			fromSummary := summaryVerdicts(t, f)
			if diff := cmp.Diff(fromRows, fromSummary); diff != "" {
				t.Errorf("verdicts: Results rows vs Summary (-rows +summary):\n%s", diff)
			}
			if len(fromSummary) != len(batch.Verdicts) {
				t.Errorf("the rows give %d verdicts, want every one of %d", len(fromSummary), len(batch.Verdicts))
			}
			// Close filled the report's verdicts from the rows.
			if diff := cmp.Diff(fromRows, rep.Verdicts); diff != "" {
				t.Errorf("report verdicts (-rows +report):\n%s", diff)
			}
		})
	}
}

// The run's own verdict counts win over the Writer's.
func TestXLSXReportVerdicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	rep := testReport()
	rep.Verdicts = map[string]int{"pass": 7, "fail": 1, "card problem": 1, "rejected": 1, "retry later": 1, "unknown": 2}
	writeAll(t, path, Options{}, rep, testResults())
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if diff := cmp.Diff(rep.Verdicts, summaryVerdicts(t, f)); diff != "" {
		t.Errorf("Summary verdicts (-report +sheet):\n%s", diff)
	}
}

// column is the index of column name in a header row.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

// summaryFirstVerdictRow is the Summary row of the first verdict (pass):
// after the title, the state line, a blank row, the section and the header.
const summaryFirstVerdictRow = 6

// summaryVerdicts reads the verdict table of the Summary sheet, leaving
// out verdicts with no rows.
func summaryVerdicts(t *testing.T, f *excelize.File) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i, v := range batch.Verdicts {
		row := strconv.Itoa(summaryFirstVerdictRow + i)
		if name, _ := f.GetCellValue(summarySheet, "A"+row); name != string(v) {
			t.Fatalf("Summary A%s = %q, want verdict %q", row, name, v)
		}
		s, _ := f.GetCellValue(summarySheet, "C"+row)
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("Summary C%s = %q: %v", row, s, err)
		}
		if n > 0 {
			got[string(v)] = n
		}
	}
	return got
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
	if !strings.Contains(dump, "Price per charged call\tnot given") || strings.Contains(dump, "Cost") || strings.Contains(dump, "CNY") {
		t.Errorf("summary without price:\n%s", dump)
	}
	if !hasChart(t, path) {
		t.Error("no verdict chart without a tally")
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
	results := testResults()
	writeAll(t, path, Options{}, testReport(), results)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	nIn := len(testHeader().Cells)
	nCols := nIn + len(resultColumns)

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
		last, _ := excelize.CoordinatesToCellName(nCols, len(results)+1)
		raw := readPart(t, path, "xl/worksheets/sheet1.xml")
		if want := `<autoFilter ref="A1:` + last + `"`; !strings.Contains(strings.ReplaceAll(raw, "$", ""), want) {
			t.Errorf("no %s in the Results sheet", want)
		}
		raw = readPart(t, path, "xl/workbook.xml")
		if !strings.Contains(raw, "_xlnm._FilterDatabase") {
			t.Errorf("no _FilterDatabase defined name")
		}
	})
	t.Run("header styled", func(t *testing.T) {
		st := cellStyle(t, f, resultsSheet, "A1")
		if st.Font == nil || !st.Font.Bold || len(st.Fill.Color) == 0 {
			t.Errorf("header style = %+v, want bold and filled", st)
		}
	})
	t.Run("one fill per verdict, as in the legend and the chart", func(t *testing.T) {
		byVerdict := map[batch.Verdict]string{}
		for i, r := range results {
			v := r.Outcome.Verdict()
			var fill string
			for col := 1; col <= nCols; col++ {
				cell, _ := excelize.CoordinatesToCellName(col, i+2)
				st := cellStyle(t, f, resultsSheet, cell)
				if len(st.Fill.Color) == 0 {
					t.Errorf("%s (%s): no fill", cell, v)
					continue
				}
				if fill == "" {
					fill = st.Fill.Color[0]
				} else if st.Fill.Color[0] != fill {
					t.Errorf("%s fill %s, the row's is %s", cell, st.Fill.Color[0], fill)
				}
			}
			if prev, ok := byVerdict[v]; ok && prev != fill {
				t.Errorf("row %d (%s): fill %s, an earlier %s row has %s", i+2, v, fill, v, prev)
			}
			byVerdict[v] = fill
		}
		fills := map[string]batch.Verdict{}
		for v, fill := range byVerdict {
			if other, ok := fills[fill]; ok {
				t.Errorf("verdicts %q and %q share fill %s", v, other, fill)
			}
			fills[fill] = v
		}
		if len(byVerdict) != len(batch.Verdicts) {
			t.Errorf("%d verdicts in the rows, want all %d", len(byVerdict), len(batch.Verdicts))
		}
		chart := readPart(t, path, "xl/charts/chart1.xml")
		for i, v := range batch.Verdicts {
			// The legend: the Summary's verdict table, every cell of its row.
			for _, c := range "ABCD" {
				cell := string(c) + strconv.Itoa(summaryFirstVerdictRow+i)
				st := cellStyle(t, f, summarySheet, cell)
				if len(st.Fill.Color) == 0 || !strings.EqualFold(st.Fill.Color[0], byVerdict[v]) {
					t.Errorf("legend %s (%s) fill %v, rows have %s", cell, v, st.Fill.Color, byVerdict[v])
				}
			}
			// The chart: bar i is the verdict of category i.
			want := fmt.Sprintf(`<dPt><idx val="%d"/><invertIfNegative val="0"/><bubble3D val="0"/><spPr><a:solidFill><a:srgbClr val="%s"/>`,
				i, strings.TrimPrefix(strings.ToUpper(byVerdict[v]), "#"))
			if !strings.Contains(chart, want) {
				t.Errorf("chart bar %d (%s) is not %s", i, v, byVerdict[v])
			}
		}
	})
	t.Run("identifiers and formula-like text are strings", func(t *testing.T) {
		// The number, card, phone and ID of row 2; Result -1 (I3); the
		// remarks =HYPERLINK(…), +1+1 and @SUM(1) (F5:F7).
		for _, cell := range []string{"A2", "C2", "D2", "E2", "I3", "F5", "F6", "F7"} {
			typ, err := f.GetCellType(resultsSheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeInlineString {
				t.Errorf("%s type = %v, want inline string", cell, typ)
			}
			if fm, _ := f.GetCellFormula(resultsSheet, cell); fm != "" {
				t.Errorf("%s has formula %q", cell, fm)
			}
		}
		for cell, want := range map[string]string{
			"E2": "110101199003071234", "A2": "00123", "F5": `=HYPERLINK("http://x.test","x")`,
		} {
			if v, _ := f.GetCellValue(resultsSheet, cell); v != want {
				t.Errorf("%s = %q, want %q", cell, v, want)
			}
		}
		if raw := readPart(t, path, "xl/worksheets/sheet1.xml"); strings.Contains(raw, "<f>") || strings.Contains(raw, "<f ") {
			t.Error("the Results sheet holds a formula")
		}
	})
	t.Run("long text wraps", func(t *testing.T) {
		desc, _ := excelize.CoordinatesToCellName(nIn+colDescription+1, 2) // row 2 has a Description
		errc, _ := excelize.CoordinatesToCellName(nIn+colError+1, 11)      // row 11 (invalid) an Error
		for _, cell := range []string{desc, errc} {
			st := cellStyle(t, f, resultsSheet, cell)
			if st.Alignment == nil || !st.Alignment.WrapText {
				t.Errorf("%s does not wrap", cell)
			}
		}
	})
	t.Run("widths fit identifiers", func(t *testing.T) {
		h := testHeader()
		for col, want := range map[int]float64{
			h.BankCard + 1: 23, h.IDCard + 1: 18, h.Phone + 1: 17,
			nIn + colRequestID + 1: 36, nIn + colAnsweredAt + 1: 19,
		} {
			name, _ := excelize.ColumnNumberToName(col)
			w, err := f.GetColWidth(resultsSheet, name)
			if err != nil {
				t.Fatal(err)
			}
			if w < want {
				t.Errorf("column %s width %v, want at least %v", name, w, want)
			}
		}
	})
}

// Both sheets print landscape and one page wide; the Summary on one page,
// the Results with its header row on every page.
func TestPageSetup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{}, testReport(), testResults())
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		sheet  string
		height int // pages tall; 0: as many as it takes
	}{
		{resultsSheet, 0},
		{summarySheet, 1},
	} {
		t.Run(tc.sheet, func(t *testing.T) {
			pl, err := f.GetPageLayout(tc.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Orientation == nil || *pl.Orientation != "landscape" {
				t.Errorf("orientation %v, want landscape", pl.Orientation)
			}
			if pl.FitToWidth == nil || *pl.FitToWidth != 1 {
				t.Errorf("fit to width %v, want 1 page", pl.FitToWidth)
			}
			if pl.FitToHeight == nil || *pl.FitToHeight != tc.height {
				t.Errorf("fit to height %v, want %d", pl.FitToHeight, tc.height)
			}
			props, err := f.GetSheetProps(tc.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if props.FitToPage == nil || !*props.FitToPage {
				t.Error("fit to page is off: the fit to width would be ignored")
			}
		})
	}
	var titles []string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles = append(titles, dn.Scope+" "+dn.RefersTo)
		}
	}
	if want := []string{"Results Results!$1:$1"}; !cmp.Equal(titles, want) {
		t.Errorf("print titles %q, want %q", titles, want)
	}
}

// cellStyle returns the style of a cell of a sheet.
func cellStyle(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
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
	chart := readPart(t, path, "xl/charts/chart1.xml")
	first, last := summaryFirstVerdictRow, summaryFirstVerdictRow+len(batch.Verdicts)-1
	for _, ref := range []string{
		fmt.Sprintf("Summary!$A$%d:$A$%d", first, last), // verdicts
		fmt.Sprintf("Summary!$C$%d:$C$%d", first, last), // rows
	} {
		if !strings.Contains(chart, ref) {
			t.Errorf("chart does not refer to %s", ref)
		}
	}
	if n := strings.Count(chart, "<dPt>"); n != len(batch.Verdicts) {
		t.Errorf("%d coloured bars, want %d", n, len(batch.Verdicts))
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
