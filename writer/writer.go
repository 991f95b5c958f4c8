// Package writer records the results of a run: the Results and Summary
// sheets of the output workbook (or a CSV file with the same columns), the
// --report JSON, the --metrics Prometheus textfile and the console summary.
//
// Every file it creates has mode 0600 and is written atomically: it is built
// in a temporary file beside its final path and renamed over it only when
// complete, so a reader never sees half of it and a failed run leaves the
// previous file as it was.
package writer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// resultColumns are the columns appended to the input header row (SPEC
// section 8).
var resultColumns = [...]string{"Status", "Verdict", "Result", "Description", "Charged", "Answered at", "RequestId", "Error"}

// Positions of the result columns after the input columns.
const (
	colStatus = iota
	colVerdict
	colResult
	colDescription
	colCharged
	colAnsweredAt
	colRequestID
	colError
)

// ResultColumns returns the names of the columns that follow the input
// columns in the Results sheet and the .csv output, in order.
func ResultColumns() []string { return append([]string(nil), resultColumns[:]...) }

// answeredAtLayout is the format of the Answered at column and of the
// Summary's times: UTC, to the second.
const answeredAtLayout = "2006-01-02 15:04:05"

// Options tune a Writer.
type Options struct {
	// Mask hides most of the name, bank card, phone and ID cells (--mask).
	Mask bool
	// TempDir is a private directory (mode 0700) for excelize's temporary
	// files, which hold the sheet as it is written. When empty, Create makes
	// its own and removes it at Close or Abort.
	TempDir string
}

// format is one output file format.
type format interface {
	// row writes one row of cells (input columns, then resultColumns);
	// verdict is the row's index in batch.Verdicts.
	row(cells []string, verdict int) error
	// finish completes the file and writes it to its temporary file;
	// verdicts are the rows of each verdict written.
	finish(rep *batch.Report, verdicts *[numVerdicts]int) error
	// cleanup releases everything but the temporary output file.
	cleanup() error
}

// Writer writes the Results of a run to an .xlsx or .csv file. It
// implements batch.Sink. It is not safe for concurrent use.
type Writer struct {
	path  string
	tmp   *os.File
	out   format
	h     batch.Header
	mask  bool
	cells []string // the row being written, reused
	stamp []byte   // the Answered at text being formatted, reused
	done  bool     // Close or Abort has run
	// verdicts counts the rows written by verdict, for a report that has
	// no Verdicts of its own.
	verdicts [numVerdicts]int
}

// Create starts the output file at path: .xlsx or .csv by its extension
// (case-insensitive). The file is built in a temporary file beside path and
// appears at path only when Close succeeds.
func Create(path string, h batch.Header, o Options) (*Writer, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".xlsx" && ext != ".csv" {
		return nil, fmt.Errorf("output %q: unsupported file type %q, want .xlsx or .csv", path, filepath.Ext(path))
	}
	tmp, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		path:  path,
		tmp:   tmp,
		h:     h,
		mask:  o.Mask,
		cells: make([]string, len(h.Cells)+len(resultColumns)),
	}
	header := make([]string, 0, len(w.cells))
	header = append(header, h.Cells...)
	header = append(header, resultColumns[:]...)
	if ext == ".csv" {
		w.out, err = newCSV(tmp, header)
	} else {
		w.out, err = newXLSX(tmp, header, columnWidths(h), o.TempDir)
	}
	if err != nil {
		discard(tmp)
		return nil, fmt.Errorf("output %q: %w", path, err)
	}
	return w, nil
}

// Write adds one row: the input cells (masked with Options.Mask), then the
// outcome. Rows must arrive in input order.
func (w *Writer) Write(r *batch.Result) error {
	if w.done {
		return fmt.Errorf("output %q: write after close", w.path)
	}
	n := len(w.h.Cells)
	c := w.cells
	for i := 0; i < n; i++ {
		if i < len(r.Row.Cells) {
			c[i] = r.Row.Cells[i]
		} else {
			c[i] = ""
		}
	}
	if w.mask {
		w.maskCell(w.h.Name, batch.FieldName)
		w.maskCell(w.h.BankCard, batch.FieldBankCard)
		w.maskCell(w.h.Phone, batch.FieldPhone)
		w.maskCell(w.h.IDCard, batch.FieldIDCard)
	}
	o := &r.Outcome
	v := o.Verdict()
	c[n+colStatus] = string(o.Status)
	c[n+colVerdict] = string(v)
	c[n+colResult] = o.Result
	c[n+colDescription] = o.Description
	c[n+colCharged] = string(o.Charged)
	c[n+colAnsweredAt] = w.answeredAt(o)
	c[n+colRequestID] = o.RequestID
	c[n+colError] = o.Error
	vi := verdictIndex(v)
	w.verdicts[vi]++
	if err := w.out.row(c, vi); err != nil {
		return fmt.Errorf("output %q: row %d: %w", w.path, r.Row.Line, err)
	}
	return nil
}

// answeredAt is the Answered at cell: when the service gave the answer, in
// UTC, for the rows that have one (verified, reused, duplicate).
func (w *Writer) answeredAt(o *batch.Outcome) string {
	switch o.Status {
	case batch.StatusVerified, batch.StatusReused, batch.StatusDuplicate:
	default:
		return ""
	}
	if o.AnsweredAt.IsZero() {
		return ""
	}
	w.stamp = o.AnsweredAt.UTC().AppendFormat(w.stamp[:0], answeredAtLayout)
	return string(w.stamp)
}

// maskCell masks cell i of the current row as field.
func (w *Writer) maskCell(i int, field string) {
	if i >= 0 && i < len(w.h.Cells) {
		w.cells[i] = Mask(field, w.cells[i])
	}
}

// Close finishes the file (for .xlsx: the autofilter, the print setup and
// the Summary sheet made from rep, which may be nil for .csv), makes it
// durable and renames it over the output path. It removes every temporary
// file. After a failed Close the previous output, if any, is left as it was.
//
// When rep.Verdicts is nil, Close fills it with the rows of each verdict
// that it wrote, so that the report and the console summary made from rep
// afterwards count the same verdicts as the sheet.
func (w *Writer) Close(rep *batch.Report) error {
	if w.done {
		return fmt.Errorf("output %q: already closed", w.path)
	}
	w.done = true
	if rep == nil {
		rep = &batch.Report{}
	}
	if rep.Verdicts == nil {
		rep.Verdicts = verdictMap(w.verdicts)
	}
	err := w.out.finish(rep, &w.verdicts)
	if err != nil {
		err = fmt.Errorf("output %q: %w", w.path, err)
		discard(w.tmp)
	} else {
		err = commit(w.tmp, w.path)
	}
	return errors.Join(err, w.out.cleanup())
}

// Abort drops the temporary files and leaves any existing output untouched.
// After Close it does nothing, so it can be deferred.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return errors.Join(discard(w.tmp), w.out.cleanup())
}

var _ batch.Sink = (*Writer)(nil)
