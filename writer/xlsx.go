package writer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fileutil"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the output workbook.
const (
	resultsSheet = "Results"
	summarySheet = "Summary"
)

// textFormat is the built-in number format "@" (Text): a value typed into
// a Results cell later stays text.
const textFormat = 49

// fontFamily is the workbook's default font, named in every style that
// sets a font: a style with a font but no name prints in a serif face in
// LibreOffice.
const fontFamily = "Calibri"

// styles are the style IDs of the workbook, created once.
type styles struct {
	header  int // the Results header row and the Summary's table headers
	section int // a Summary section title
	title   int // the Summary's first line
	bold    int
	left    int // a Summary value, left-aligned
	// verdict and verdictWrap are the fills of a Results row by verdict;
	// verdictWrap also wraps long text (Description, Error).
	verdict, verdictWrap [numVerdicts]int
}

// styleAdder registers styles in f one after another: add returns a
// style's id, and after the first failure 0 without trying; done returns
// that failure.
func styleAdder(f *excelize.File) (add func(*excelize.Style) int, done func() error) {
	var err error
	add = func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	return add, func() error { return err }
}

// newStyles registers the workbook's few styles. The verdict fills come
// first, so that the style ID every Results cell carries is one digit.
func newStyles(f *excelize.File) (styles, error) {
	var s styles
	add, done := styleAdder(f)
	for v := range numVerdicts {
		s.verdict[v] = add(verdictStyle(v, false))
	}
	for v := range numVerdicts {
		s.verdictWrap[v] = add(verdictStyle(v, true))
	}
	s.header = add(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "#FFFFFF", Family: fontFamily, Size: 11},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#1F3864"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		NumFmt:    textFormat,
	})
	s.section = add(&excelize.Style{
		Font:   &excelize.Font{Bold: true, Size: 12, Color: "#1F3864", Family: fontFamily},
		Border: []excelize.Border{{Type: "bottom", Color: "#1F3864", Style: 2}},
	})
	s.title = add(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Family: fontFamily}})
	s.bold = add(&excelize.Style{Font: &excelize.Font{Bold: true, Family: fontFamily, Size: 11}})
	s.left = add(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left"}})
	return s, done()
}

// verdictStyle is the style of a Results cell of verdict v: its fill,
// text format, and with wrap the wrapping of long text.
func verdictStyle(v int, wrap bool) *excelize.Style {
	return &excelize.Style{
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{verdictFills[v]}},
		Font:      &excelize.Font{Color: "#000000", Family: fontFamily, Size: 11},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: wrap},
		NumFmt:    textFormat,
	}
}

// xlsxOut streams the Results sheet through an excelize StreamWriter and
// adds the Summary sheet at the end.
type xlsxOut struct {
	out     *os.File
	f       *excelize.File
	sw      *excelize.StreamWriter
	st      styles
	nInput  int // input columns; the result columns follow
	rows    int // sheet rows written, the header included
	widths  []float64
	cells   []excelize.Cell
	vals    []any // vals[i] = &cells[i]
	tempDir string
	ownTemp bool
}

// newXLSX starts a workbook that will be written to out. Its temporary
// files go to tempDir, or to a private directory of its own when empty.
// widths are the column widths, one per header cell; the last
// len(resultColumns) are the result columns.
func newXLSX(out *os.File, header []string, widths []float64, tempDir string) (_ *xlsxOut, err error) {
	x := &xlsxOut{out: out, nInput: len(header) - len(resultColumns), widths: widths, tempDir: tempDir}
	if tempDir == "" {
		if x.tempDir, err = fileutil.PrivateTempDir(); err != nil {
			return nil, err
		}
		x.ownTemp = true
	}
	x.f = excelize.NewFile(excelize.Options{TmpDir: x.tempDir})
	defer func() {
		if err != nil {
			x.cleanup()
		}
	}()
	if err = x.f.SetSheetName(x.f.GetSheetName(0), resultsSheet); err != nil {
		return nil, err
	}
	if x.st, err = newStyles(x.f); err != nil {
		return nil, err
	}
	// The sheet properties go out with the stream's first bytes.
	if err = x.f.SetSheetProps(resultsSheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return nil, err
	}
	if x.sw, err = x.f.NewStreamWriter(resultsSheet); err != nil {
		return nil, err
	}
	if err = x.layout(); err != nil {
		return nil, err
	}
	x.cells = make([]excelize.Cell, len(header))
	x.vals = make([]any, len(header))
	for i := range x.cells {
		x.vals[i] = &x.cells[i]
		x.cells[i].Value = header[i]
		x.cells[i].StyleID = x.st.header
	}
	if err = x.sw.SetRow("A1", x.vals, excelize.RowOpts{Height: 20}); err != nil {
		return nil, err
	}
	x.rows = 1
	return x, nil
}

// layout sets the column widths and freezes the header row; the stream
// writer takes both only before the first row.
func (x *xlsxOut) layout() error {
	for i, wd := range x.widths {
		if err := x.sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	return x.sw.SetPanes(&excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
}

// printSetup makes a sheet print landscape on A4, fitToHeight pages tall
// (0: as many as it takes) and one page wide, with narrow margins; for
// Results, the header row is repeated on every page.
func printSetup(f *excelize.File, sheet string, fitToHeight int, titles bool) error {
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size:        ptr(9), // A4
		Orientation: ptr("landscape"),
		FitToWidth:  ptr(1),
		FitToHeight: ptr(fitToHeight),
	}); err != nil {
		return err
	}
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: ptr(0.3), Right: ptr(0.3), Top: ptr(0.5), Bottom: ptr(0.5),
		Header: ptr(0.2), Footer: ptr(0.2), Horizontally: ptr(true),
	}); err != nil {
		return err
	}
	if !titles {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: sheet + "!$1:$1",
		Scope:    sheet,
	})
}

func ptr[T any](v T) *T { return &v }

// row writes one data row. Every value is a string cell (an inline string
// in the sheet), so identifiers are never turned into numbers and a value
// such as =HYPERLINK(…) is text, not a formula.
//
// The verdict's style is the row's (<row s=… customFormat="1">): the stream
// writer gives it to every cell written, and a spreadsheet gives it to the
// empty cells, which are left out. (An empty cell written for its fill
// alone made the sheet a fifth larger, and deflate and the stream writer
// cost grow with it.) Only Description and Error carry a style of their
// own, the same fill with wrapping, and only when they have text. A row's
// style covers the whole row, so on screen the fill runs on to the right
// of the last column; the printed pages, which end at the last column,
// are as before.
func (x *xlsxOut) row(cells []string, verdict int) error {
	wrap := x.st.verdictWrap[verdict]
	lines := 1
	for i, s := range cells {
		x.cells[i].Value = s
		x.cells[i].StyleID = 0 // the row's style
		if s == "" {
			x.vals[i] = nil
			continue
		}
		x.vals[i] = &x.cells[i]
		if i < x.nInput && strings.IndexByte(s, '\n') >= 0 {
			lines = max(lines, strings.Count(s, "\n")+1)
		}
	}
	x.cells[x.nInput+colDescription].StyleID = wrap
	x.cells[x.nInput+colError].StyleID = wrap
	if x.rows >= excelize.TotalRows {
		return fmt.Errorf("an .xlsx sheet holds at most %d rows; write the output as .csv", excelize.TotalRows-1)
	}
	x.rows++
	ref := "A" + strconv.Itoa(x.rows)
	opts := excelize.RowOpts{StyleID: x.st.verdict[verdict]}
	// Neither Excel nor LibreOffice sizes a streamed row to its wrapped
	// text, so a row whose Description or Error takes several lines, or
	// whose input cell holds a line break, is given their height.
	lines = max(lines, wrappedLines(cells[x.nInput+colDescription], x.widths[x.nInput+colDescription]),
		wrappedLines(cells[x.nInput+colError], x.widths[x.nInput+colError]))
	if lines > 1 {
		opts.Height = min(lineHeight*float64(lines), 409)
	}
	return x.sw.SetRow(ref, x.vals, opts)
}

// lineHeight is the height of one line of 11-point text, in points.
const lineHeight = 15

// wrappedLines is about how many lines s takes wrapped in a column width
// characters wide.
func wrappedLines(s string, width float64) int {
	w := int(width) - 1 // the cell's padding
	if len(s) <= w && strings.IndexByte(s, '\n') < 0 {
		return 1 // the common case, without decoding: no rune is narrower than a byte
	}
	lines := 0
	for _, part := range strings.Split(s, "\n") {
		lines += max(1, (textWidth(part)+w-1)/w)
	}
	return lines
}

// finish sets the autofilter over the written range, ends the stream, adds
// the Summary sheet and writes the workbook to the output file.
func (x *xlsxOut) finish(rep *batch.Report, verdicts *[numVerdicts]int) error {
	last, err := excelize.CoordinatesToCellName(len(x.cells), x.rows)
	if err != nil {
		return err
	}
	if err := x.f.AutoFilter(resultsSheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("autofilter: %w", err)
	}
	// The page setup is written with the end of the stream.
	if err := printSetup(x.f, resultsSheet, 0, true); err != nil {
		return fmt.Errorf("sheet %s: print setup: %w", resultsSheet, err)
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("sheet %s: %w", resultsSheet, err)
	}
	if err := writeSummarySheet(x.f, x.st, rep, verdictCounts(rep, verdicts)); err != nil {
		return fmt.Errorf("sheet %s: %w", summarySheet, err)
	}
	// Results stays the active sheet, as the first sheet of a new file is.
	// (SetActiveSheet would parse the whole streamed sheet back into memory.)
	// Zip straight into the output file instead of excelize's in-memory
	// buffer, so that memory stays flat however many rows were written.
	// (excelize would also mark a >4 GiB part as ZIP64 in its buffer;
	// archive/zip already writes ZIP64 records when a part needs them.)
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(x.out) })
	if err := x.f.Write(io.Discard); err != nil {
		return fmt.Errorf("save workbook: %w", err)
	}
	return nil
}

// cleanup closes the workbook, which removes excelize's temporary files,
// and removes the private temporary directory.
func (x *xlsxOut) cleanup() error {
	err := x.f.Close()
	if x.ownTemp {
		err = errors.Join(err, os.RemoveAll(x.tempDir))
	}
	if err != nil {
		return fmt.Errorf("remove temporary files: %w", err)
	}
	return nil
}
