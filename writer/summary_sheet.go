package writer

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/xuri/excelize/v2"
)

// The Summary sheet has two blocks side by side, so that it prints on one
// landscape page at a readable size. The left block (columns A–D) holds
// what a reviewer reads first — the rows by verdict, which are also the
// colour legend of the Results sheet and of the chart — then the counts,
// the billing, the tally by result code, the retried answers and the rows
// in error by code. The right block (F–G) holds the chart of the verdicts
// and the facts of the run.
const (
	leftCol  = 1 // A
	rightCol = 6 // F
)

// summaryWidths are the widths of the Summary's columns A to G.
var summaryWidths = []float64{30, 48, 10, 9, 3, 30, 66}

// Chart placement: at F3, about as tall as 14 rows.
const (
	chartCell   = "F3"
	chartWidth  = 660 // pixels
	chartHeight = 280
	chartRows   = 16 // rows the chart covers (20 pixels each), a margin included
)

// sheetBuilder writes a block of a small sheet top to bottom with the
// normal excelize API, from column col0 on, remembering the first error.
type sheetBuilder struct {
	f     *excelize.File
	sheet string
	col0  int // the block's first column, 1-based
	row   int // the next row to write, 1-based
	err   error
}

// cell sets one cell of the current row, col columns into the block; v is
// a string, int or float64.
func (b *sheetBuilder) cell(col int, v any, style int) {
	if b.err != nil {
		return
	}
	ref, err := excelize.CoordinatesToCellName(b.col0+col, b.row)
	if err != nil {
		b.err = err
		return
	}
	switch v := v.(type) {
	case string:
		b.err = b.f.SetCellStr(b.sheet, ref, v)
	case int:
		b.err = b.f.SetCellInt(b.sheet, ref, int64(v))
	case float64:
		b.err = b.f.SetCellFloat(b.sheet, ref, v, -1, 64)
	default:
		b.err = fmt.Errorf("cell %s: unsupported value %T", ref, v)
	}
	if b.err == nil && style != 0 {
		b.err = b.f.SetCellStyle(b.sheet, ref, ref, style)
	}
}

// line writes a row of values in the block and moves to the next row.
func (b *sheetBuilder) line(style int, vals ...any) {
	for i, v := range vals {
		b.cell(i, v, style)
	}
	b.row++
}

// section writes a section title and moves to the next row.
func (b *sheetBuilder) section(st styles, title string) {
	b.cell(0, title, st.section)
	b.row++
}

// kv writes a label and its value, and an optional note (the currency)
// after it.
func (b *sheetBuilder) kv(st styles, label string, v any, note ...string) {
	b.cell(0, label, 0)
	b.cell(1, v, st.left)
	if len(note) > 0 && note[0] != "" {
		b.cell(2, note[0], 0)
	}
	b.row++
}

// summaryStyles are the Summary's own styles: the verdict fills without the
// text format, and the share column as a percentage.
type summaryStyles struct {
	verdict, share [numVerdicts]int
	wrap           int
	totalShare     int
}

func newSummaryStyles(f *excelize.File) (summaryStyles, error) {
	var s summaryStyles
	add, done := styleAdder(f)
	for v := range numVerdicts {
		fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{verdictFills[v]}}
		black := &excelize.Font{Color: "#000000", Family: fontFamily, Size: 11}
		s.verdict[v] = add(&excelize.Style{Fill: fill, Font: black})
		s.share[v] = add(&excelize.Style{Fill: fill, Font: black, NumFmt: 10}) // 0.00%
	}
	s.wrap = add(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.totalShare = add(&excelize.Style{Font: &excelize.Font{Bold: true, Family: fontFamily, Size: 11}, NumFmt: 10})
	return s, done()
}

// writeSummarySheet adds the Summary sheet (SPEC section 8): rows by
// verdict with their chart, the counts, the billing and cost, the tally by
// result code; the run's facts, the retried answers and the rows in error
// by code. verdicts are the rows of each verdict.
func writeSummarySheet(f *excelize.File, st styles, rep *batch.Report, verdicts [numVerdicts]int) error {
	if _, err := f.NewSheet(summarySheet); err != nil {
		return err
	}
	ss, err := newSummaryStyles(f)
	if err != nil {
		return err
	}
	b := &sheetBuilder{f: f, sheet: summarySheet, col0: leftCol, row: 1}
	b.line(st.title, "bankcard4e run summary")
	b.line(st.bold, runState(rep, ""))
	b.row++

	// Rows by verdict: the legend of every colour in the workbook.
	b.section(st, "Rows by verdict")
	b.line(st.header, "Verdict", "What it means", "Rows", "Share")
	total := 0
	for _, n := range verdicts {
		total += n
	}
	firstVerdict := b.row
	for i, v := range batch.Verdicts {
		share := 0.0
		if total > 0 {
			share = float64(verdicts[i]) / float64(total)
		}
		b.cell(0, string(v), ss.verdict[i])
		b.cell(1, verdictMeanings[i], ss.verdict[i])
		b.cell(2, verdicts[i], ss.verdict[i])
		b.cell(3, share, ss.share[i])
		b.row++
	}
	lastVerdict := b.row - 1
	b.line(st.bold, "Total", "", total)
	if total > 0 {
		b.row--
		b.cell(3, 1.0, ss.totalShare)
		b.row++
	}
	b.row++

	b.section(st, "Counts")
	b.kv(st, "Rows", rep.Rows)
	b.kv(st, "Verified", rep.Verified)
	b.kv(st, "Reused", rep.Reused)
	b.kv(st, "Duplicates", rep.Duplicates)
	b.kv(st, "Invalid", rep.Invalid)
	b.kv(st, "Deferred", rep.Deferred)
	b.kv(st, "Errors", rep.Errors)
	b.kv(st, "Not attempted", rep.NotAttempted)
	b.kv(st, "Blank rows skipped", rep.Blank)
	b.kv(st, "Calls sent", rep.Calls)
	b.row++

	b.section(st, "Billing")
	b.kv(st, "Charged", rep.Charged)
	b.kv(st, "Free", rep.Free)
	b.kv(st, "Verified, charge unknown", rep.UnknownResults)
	b.kv(st, "Possibly charged", rep.PossiblyCharged)
	if cost, maxCost, ok := costs(rep); ok {
		b.kv(st, "Price per charged call", *rep.Price, rep.Currency)
		b.kv(st, "Cost (charged × price)", cost, rep.Currency)
		b.kv(st, "At most (with possibly charged)", maxCost, rep.Currency)
	} else {
		b.kv(st, "Price per charged call", "not given (--price)")
	}
	b.row++

	// The right block: under the chart, the run.
	r := &sheetBuilder{f: f, sheet: summarySheet, col0: rightCol, row: 3 + chartRows}
	r.section(st, "Run")
	r.kv(st, "Input", rep.Input)
	r.kv(st, LabelInputSHA256, rep.InputSHA256)
	r.kv(st, "Sheet", orDash(rep.Sheet))
	if rep.HeaderRow > 0 {
		r.kv(st, "Header row", rep.HeaderRow)
	} else {
		r.kv(st, "Header row", "—")
	}
	r.kv(st, "Output", rep.Output)
	r.kv(st, "Started (UTC)", utc(rep.StartedAt))
	r.kv(st, LabelFinished, utc(rep.FinishedAt))
	r.kv(st, "Duration", duration(rep).String())
	r.kv(st, "Endpoint", rep.Endpoint)
	r.kv(st, "QPS", rep.QPS)
	r.kv(st, "Tool version", rep.Version)
	r.kv(st, "Resumed", yesNo(rep.Resumed))
	r.kv(st, "Aborted", yesNo(rep.Aborted))
	r.kv(st, "Abort reason", orDash(rep.AbortReason))
	r.kv(st, "Interrupted", yesNo(rep.Interrupted))
	r.kv(st, LabelExitCode, rep.ExitCode)

	// The tables by code start below the right block, so that every row
	// of them and the blank row after each is the left block's alone.
	b.row = max(b.row, r.row+1)
	b.section(st, "Results by code")
	b.line(st.header, "Code", "Description", "Billing", "Count")
	for _, t := range rep.Tally {
		b.line(0, t.Code, t.Description, t.Class, t.Count)
	}

	b.row++
	codeTable(b, st, ss, "Retried answers by code", "Answers", rep.Retried)
	b.row++
	codeTable(b, st, ss, "Rows in error by code", "Rows", rep.ByError)

	if err := errors.Join(b.err, r.err); err != nil {
		return err
	}
	for i, w := range summaryWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(summarySheet, col, col, w); err != nil {
			return err
		}
	}
	if err := f.SetSheetProps(summarySheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := printSetup(f, summarySheet, 1, false); err != nil {
		return err
	}
	return addVerdictChart(f, firstVerdict, lastVerdict)
}

// codeTable writes a table of counts by code, sorted by code, or "none".
func codeTable(b *sheetBuilder, st styles, ss summaryStyles, title, what string, m map[string]int) {
	b.section(st, title)
	b.line(st.header, "Code", what)
	if len(m) == 0 {
		b.line(0, "none")
		return
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		b.cell(0, c, ss.wrap)
		b.cell(1, m[c], st.left)
		b.row++
	}
}

// addVerdictChart adds the bar chart of the rows by verdict, each bar in
// its verdict's colour, next to the verdict table (rows first to last).
func addVerdictChart(f *excelize.File, first, last int) error {
	black := excelize.Font{Color: "#000000", Size: 10, Family: fontFamily}
	err := f.AddChart(summarySheet, chartCell, &excelize.Chart{
		Type:       excelize.Bar,
		VaryColors: ptr(false),
		Series: []excelize.ChartSeries{{
			Name:       "Rows",
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", summarySheet, first, last),
			Values:     fmt.Sprintf("%s!$C$%d:$C$%d", summarySheet, first, last),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#999999"}},
		}},
		Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{
			Text: "Rows by verdict", Font: &excelize.Font{Bold: true, Size: 12, Color: "#000000", Family: fontFamily},
		}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		XAxis:     excelize.ChartAxis{ReverseOrder: true, Font: black},
		YAxis:     excelize.ChartAxis{MajorGridLines: true, Font: black},
		Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
	})
	if err != nil {
		return err
	}
	return colourBars(f)
}

// colourBars gives each bar of the Summary's chart its verdict's colour.
// excelize writes per-point colours (c:dPt) only for pie charts, so they are
// added to the chart part it wrote, before the series' categories.
func colourBars(f *excelize.File) error {
	var name string
	var part []byte
	f.Pkg.Range(func(k, v any) bool {
		if s, ok := k.(string); ok && strings.HasPrefix(s, "xl/charts/chart") && strings.HasSuffix(s, ".xml") {
			if b, ok := v.([]byte); ok {
				name, part = s, b
				return false
			}
		}
		return true
	})
	// In the part as excelize keeps it, the chart namespace is the
	// default one; the points follow the series' invertIfNegative.
	const anchor = "<invertIfNegative val=\"0\"></invertIfNegative>"
	at := bytes.Index(part, []byte(anchor))
	if name == "" || at < 0 || bytes.Count(part, []byte("<ser>")) != 1 {
		return fmt.Errorf("chart %q: no single bar series to colour", name)
	}
	at += len(anchor)
	var dpt strings.Builder
	for i, fill := range verdictFills {
		fmt.Fprintf(&dpt, `<dPt><idx val="%d"/><invertIfNegative val="0"/><bubble3D val="0"/>`+
			`<spPr><a:solidFill><a:srgbClr val="%s"/></a:solidFill><a:ln w="6350"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></spPr></dPt>`,
			i, strings.TrimPrefix(fill, "#"))
	}
	out := make([]byte, 0, len(part)+dpt.Len())
	out = append(out, part[:at]...)
	out = append(out, dpt.String()...)
	out = append(out, part[at:]...)
	f.Pkg.Store(name, out)
	return nil
}

// runState is the one line that says how the run ended and what to do
// next; journal, when given, is named in the hint.
func runState(rep *batch.Report, journal string) string {
	where := ""
	if journal != "" {
		where = " (journal " + journal + ")"
	}
	switch {
	case rep.Aborted:
		return "Run aborted: " + orNone(rep.AbortReason) + ". Rerun the same command to resume" + where + "; rows already answered are not sent again."
	case rep.Interrupted:
		return "Run interrupted. Rerun the same command to resume" + where + "; rows already answered are not sent again."
	case rep.Errors+rep.NotAttempted > 0:
		n := rep.Errors + rep.NotAttempted
		return "Run finished; " + strconv.Itoa(n) + " " + plural(n, "row has", "rows have") + " no answer yet. Rerun the same command to try " + plural(n, "it", "them") + " again" + where + "."
	case rep.Deferred > 0:
		return "Run finished; " + strconv.Itoa(rep.Deferred) + " " + plural(rep.Deferred, "row was", "rows were") + " deferred by --max-per-card: a later run sends " + plural(rep.Deferred, "it", "them") + "."
	}
	return "Run finished: every row has its answer."
}

// orDash spells an empty value in the Summary.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
