package job

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fileutil"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/writer"
)

// scanned is what the pass over the whole input before the first call
// found.
type scanned struct {
	rows    int    // data rows
	sha256  string // hex SHA-256 of the input file
	size    int64
	sameCSV bool // the .csv output holds, row for row, this input's results

	repeats *batch.Repeats // the rows that occur more than once, for the batch's de-duplication
}

// scan reads the whole input once before any call: a file that breaks off
// half-way (a stray quote, a damaged sheet) is refused now, not after
// paying for the rows above the break. The same pass fingerprints a CSV
// input (the reader hands it every byte), compares an existing .csv output
// with the input, counts the rows for the progress bar, and checks that an
// .xlsx output can hold every row and cell, and finds the repeated rows.
func scan(p *Plan) (*scanned, error) {
	fp := fileutil.NewFingerprint()
	opts := p.Read
	csvInput := strings.EqualFold(filepath.Ext(p.Input), ".csv")
	if csvInput {
		opts.Digest = fp
	}
	src, err := reader.Open(p.Input, opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	match := writer.MatchCSV(p.Out, src.Header().Cells)
	s := &scanned{}
	rf := batch.NewRepeatFinder()
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			match.Done()
			return nil, fmt.Errorf("%w; no call was sent", err)
		}
		s.rows++
		match.Row(row.Cells)
		if row.Problem == nil { // the rows the run may send (--no-precheck clears Problem)
			rf.Add(row.Fields)
		}
		if err := cellsFitXLSX(p, row, xlsxMaxCellChars); err != nil {
			match.Done()
			return nil, fmt.Errorf("%w; no call was sent", err)
		}
	}
	s.sameCSV = match.Done()
	s.repeats = rf.Repeats()
	if !csvInput {
		// A workbook is read out of order: hash it in one more read.
		if s.sha256, s.size, err = fileutil.HashFile(p.Input); err != nil {
			return nil, err
		}
	} else {
		s.sha256, s.size = fp.Sum()
	}
	return s, fitsXLSX(p, s.rows, xlsxMaxRows)
}

// look finds out what an existing output at p.Out is (see refuseRerun).
func look(p *Plan, s *scanned, tmpDir string) (earlier, error) {
	var e earlier
	if _, err := os.Stat(p.Out); err != nil {
		return e, nil
	}
	e.exists = true
	if _, err := os.Stat(p.Journal); err == nil {
		// The output is the journal's run's: the journal's own rules
		// (same input and options, or --fresh) decide.
		e.journal = true
		return e, nil
	}
	if !p.outIsXLSX() {
		e.same = s.sameCSV
		return e, nil
	}
	prev, ok, err := writer.ReadPrevious(p.Out, tmpDir)
	if err == nil && ok && strings.EqualFold(prev.InputSHA256, s.sha256) {
		e.same, e.finished, e.exitCode = true, prev.Finished, prev.ExitCode
	}
	return e, nil
}
