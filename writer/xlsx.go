package writer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

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
// a result cell later stays text. Input cells have no style at all, which
// keeps the stream as small as a bare one; their values are text anyway.
const textFormat = 49

// classFills are the fill colours of the result cells, by rowClass.
var classFills = [numClasses]string{
	classCharged:      "#C6EFCE", // green: verified, charged
	classFree:         "#DDEBF7", // blue: verified, free
	classUnknown:      "#FFEB9C", // amber: verified, possibly charged
	classDuplicate:    "#EDEDED", // light grey: copy of an earlier row
	classInvalid:      "#FCE4D6", // orange: failed local checks
	classError:        "#FFC7CE", // red: ended in error
	classNotAttempted: "#BFBFBF", // dark grey: not attempted
}

// classLabels describe the colours in the Summary sheet's legend.
var classLabels = [numClasses]string{
	classCharged:      "verified, charged",
	classFree:         "verified, free",
	classUnknown:      "verified, charge unknown",
	classDuplicate:    "duplicate",
	classInvalid:      "invalid",
	classError:        "error",
	classNotAttempted: "not attempted",
}

// styles are the style IDs of the workbook, created once.
type styles struct {
	header int
	class  [numClasses]int
	bold   int
}

// newStyles registers the workbook's few styles.
func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	add := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.header = add(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "#FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#305496"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
		NumFmt:    textFormat,
	})
	s.bold = add(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for c := range s.class {
		s.class[c] = add(&excelize.Style{
			Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{classFills[c]}},
			NumFmt: textFormat,
		})
	}
	return s, err
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
	cells   []excelize.Cell
	vals    []any // vals[i] = &cells[i], or nil for an empty value
	tempDir string
	ownTemp bool
}

// newXLSX starts a workbook that will be written to out. Its temporary
// files go to tempDir, or to a private directory of its own when empty.
func newXLSX(out *os.File, header []string, nInput int, tempDir string) (_ *xlsxOut, err error) {
	x := &xlsxOut{out: out, nInput: nInput, tempDir: tempDir}
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
	for i := range x.cells {
		x.cells[i].StyleID = 0 // result cells get their class style per row
	}
	return x, nil
}

// layout sets the column widths and freezes the header row; the stream
// writer takes both only before the first row.
func (x *xlsxOut) layout() error {
	widths := [len(resultColumns)]float64{12, 8, 36, 9, 38, 40}
	if x.nInput > 0 {
		if err := x.sw.SetColWidth(1, x.nInput, 20); err != nil {
			return err
		}
	}
	for i, wd := range widths {
		if err := x.sw.SetColWidth(x.nInput+i+1, x.nInput+i+1, wd); err != nil {
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

// row writes one data row. Every value is a string cell (an inline string
// in the sheet), so identifiers are never turned into numbers. An empty
// value is left out, as a bare StreamWriter pass would: a blank result cell
// is not coloured, but Status never is blank.
func (x *xlsxOut) row(cells []string, c rowClass) error {
	style := x.st.class[c]
	for i, s := range cells {
		if s == "" {
			x.vals[i] = nil
		} else {
			x.vals[i] = &x.cells[i]
			x.cells[i].Value = s
		}
		if i >= x.nInput {
			x.cells[i].StyleID = style
		}
	}
	if x.rows >= excelize.TotalRows {
		return fmt.Errorf("an .xlsx sheet holds at most %d rows; write the output as .csv", excelize.TotalRows-1)
	}
	x.rows++
	return x.sw.SetRow("A"+strconv.Itoa(x.rows), x.vals)
}

// finish sets the autofilter over the written range, ends the stream, adds
// the Summary sheet and writes the workbook to the output file.
func (x *xlsxOut) finish(rep *batch.Report) error {
	last, err := excelize.CoordinatesToCellName(len(x.cells), x.rows)
	if err != nil {
		return err
	}
	if err := x.f.AutoFilter(resultsSheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("autofilter: %w", err)
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("sheet %s: %w", resultsSheet, err)
	}
	if err := writeSummarySheet(x.f, x.st, rep); err != nil {
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
