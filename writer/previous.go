package writer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Labels of the Summary sheet that a later run reads back (ReadPrevious):
// the sheet writes them and the reader looks for them by these names.
const (
	LabelInputSHA256 = "Input SHA-256"
	LabelFinished    = "Finished (UTC)"
	LabelExitCode    = "Exit code"
)

// Previous is what the Summary sheet of an earlier run's workbook says.
type Previous struct {
	InputSHA256 string // hex SHA-256 of the input that run read
	Finished    string // when it finished (UTC, as written)
	ExitCode    string // its exit code, as written
}

// ReadPrevious reads the Summary sheet of the .xlsx results workbook at
// path. ok is false when there is no such file, or it is not a workbook
// this tool wrote. tempDir is where excelize may unpack large parts; pass a
// private directory, since the Results sheet holds personal data.
func ReadPrevious(path, tempDir string) (p Previous, ok bool, err error) {
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return p, false, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return p, false, nil
	}
	f, err := excelize.OpenFile(path, excelize.Options{TmpDir: tempDir})
	if err != nil {
		return p, false, fmt.Errorf("read earlier output %q: %w", path, err)
	}
	defer f.Close()
	rows, err := f.GetRows(summarySheet)
	if err != nil {
		return p, false, nil // no Summary sheet: not ours
	}
	// A label is followed by its value: in columns A–B in the workbooks of
	// earlier versions, in the Summary's right block (F–G) now.
	for _, r := range rows {
		for i := 0; i+1 < len(r); i++ {
			switch r[i] {
			case LabelInputSHA256:
				p.InputSHA256 = r[i+1]
			case LabelFinished:
				p.Finished = r[i+1]
			case LabelExitCode:
				p.ExitCode = r[i+1]
			}
		}
	}
	return p, p.InputSHA256 != "", nil
}

// CSVMatch tells whether an existing .csv output holds, row for row, the
// input's cells followed by this writer's result columns: the output of an
// earlier run of the same list. (A .csv output has no Summary with the
// input's fingerprint; a masked one does not match.) Feed it the input's
// rows as they are read, so the input is not read again for it.
type CSVMatch struct {
	f       *os.File
	r       *CSVReader // un-escapes what the CSV writer made text of formula-like cells
	matches bool
}

// MatchCSV starts comparing the .csv output at path with an input of the
// given header. It returns nil when there is no such file.
func MatchCSV(path string, header []string) *CSVMatch {
	if !strings.EqualFold(filepath.Ext(path), ".csv") {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	m := &CSVMatch{f: f, r: NewCSVReader(f)}
	h, err := m.r.Read()
	n := len(header)
	m.matches = err == nil && len(h) == n+len(resultColumns) && prefixEqual(h, header) && h[n] == resultColumns[0]
	return m
}

// Row compares the next input row's cells with the output's next row.
func (m *CSVMatch) Row(cells []string) {
	if m == nil || !m.matches {
		return
	}
	rec, err := m.r.Read()
	m.matches = err == nil && prefixEqual(rec, cells)
}

// Done closes the output and reports whether every input row matched and
// the output has no rows beyond them.
func (m *CSVMatch) Done() bool {
	if m == nil {
		return false
	}
	defer m.f.Close()
	if !m.matches {
		return false
	}
	_, err := m.r.Read()
	return errors.Is(err, io.EOF)
}

// prefixEqual reports whether rec starts with cells, as out writes them.
func prefixEqual(rec, cells []string) bool {
	if len(rec) < len(cells) {
		return false
	}
	for i, c := range cells {
		if rec[i] != c {
			return false
		}
	}
	return true
}
