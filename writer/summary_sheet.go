package writer

import (
	"fmt"
	"sort"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/xuri/excelize/v2"
)

// sheetBuilder writes a small sheet top to bottom with the normal excelize
// API, remembering the first error.
type sheetBuilder struct {
	f     *excelize.File
	sheet string
	row   int // the next row to write, 1-based
	err   error
}

// cell sets one cell of the current row; v is a string, int or float64.
func (b *sheetBuilder) cell(col int, v any, style int) {
	if b.err != nil {
		return
	}
	ref, err := excelize.CoordinatesToCellName(col, b.row)
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

// line writes a row of values starting at column A and moves to the next row.
func (b *sheetBuilder) line(style int, vals ...any) {
	for i, v := range vals {
		b.cell(i+1, v, style)
	}
	b.row++
}

// kv writes a label and its value.
func (b *sheetBuilder) kv(label string, v any) {
	b.cell(1, label, 0)
	b.cell(2, v, 0)
	b.row++
}

// writeSummarySheet adds the Summary sheet: the run, the row counts, the
// billing totals and cost, the tally by result code with a chart of it, the
// errors by code and the colour legend of the Results sheet.
func writeSummarySheet(f *excelize.File, st styles, rep *batch.Report) error {
	if _, err := f.NewSheet(summarySheet); err != nil {
		return err
	}
	b := &sheetBuilder{f: f, sheet: summarySheet, row: 1}
	b.line(st.bold, "bankcard4e run summary")
	b.row++

	b.line(st.header, "Run", "")
	b.kv("Input", rep.Input)
	b.kv(LabelInputSHA256, rep.InputSHA256)
	b.kv("Output", rep.Output)
	b.kv("Started (UTC)", utc(rep.StartedAt))
	b.kv(LabelFinished, utc(rep.FinishedAt))
	b.kv("Duration", duration(rep).String())
	b.kv("Endpoint", rep.Endpoint)
	b.kv("QPS", rep.QPS)
	b.kv("Tool version", rep.Version)
	b.kv("Resumed", yesNo(rep.Resumed))
	b.kv("Aborted", yesNo(rep.Aborted))
	b.kv("Abort reason", rep.AbortReason)
	b.kv("Interrupted", yesNo(rep.Interrupted))
	b.kv(LabelExitCode, rep.ExitCode)
	b.row++

	b.line(st.header, "Rows", "")
	b.kv("Rows", rep.Rows)
	b.kv("Verified", rep.Verified)
	b.kv("Duplicates", rep.Duplicates)
	b.kv("Invalid", rep.Invalid)
	b.kv("Errors", rep.Errors)
	b.kv("Not attempted", rep.NotAttempted)
	b.kv("Blank rows skipped", rep.Blank)
	b.kv("Calls sent", rep.Calls)
	b.row++

	b.line(st.header, "Billing", "")
	b.kv("Charged", rep.Charged)
	b.kv("Free", rep.Free)
	b.kv("Verified, charge unknown", rep.UnknownResults)
	b.kv("Possibly charged", rep.PossiblyCharged)
	if cost, maxCost, ok := costs(rep); ok {
		b.kv("Price per charged call", *rep.Price)
		b.kv("Cost (charged × price)", cost)
		b.kv("At most (with possibly charged)", maxCost)
	} else {
		b.kv("Price per charged call", "not given (--price)")
	}
	b.row++

	b.line(st.header, "Results by code", "", "", "")
	b.line(st.bold, "Code", "Description", "Billing", "Count")
	first := b.row
	for _, t := range rep.Tally {
		b.line(0, t.Code, t.Description, t.Class, t.Count)
	}
	last := b.row - 1
	b.row++

	b.line(st.header, "Errors by code", "")
	b.line(st.bold, "Code", "Count")
	codes := make([]string, 0, len(rep.ByError))
	for c := range rep.ByError {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		b.line(0, c, rep.ByError[c])
	}
	b.row++

	b.line(st.header, "Colours in Results", "")
	for c := range numClasses {
		b.line(st.class[c], classLabels[c])
	}
	if b.err != nil {
		return b.err
	}
	for i, w := range []float64{32, 48, 10, 10} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(summarySheet, col, col, w); err != nil {
			return err
		}
	}
	if len(rep.Tally) == 0 {
		return nil
	}
	return f.AddChart(summarySheet, "F3", &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{{
			Name:       "Rows",
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", summarySheet, first, last),
			Values:     fmt.Sprintf("%s!$D$%d:$D$%d", summarySheet, first, last),
		}},
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Results by code"}}},
		Legend: excelize.ChartLegend{Position: "none"},
		XAxis:  excelize.ChartAxis{Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Result code"}}}},
		YAxis:  excelize.ChartAxis{Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows"}}}},
		Format: excelize.GraphicOptions{ScaleX: 1.2, ScaleY: 1.2},
	})
}
