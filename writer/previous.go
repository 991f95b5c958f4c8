package writer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
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
			case "Input SHA-256":
				p.InputSHA256 = r[i+1]
			case "Finished (UTC)":
				p.Finished = r[i+1]
			case "Exit code":
				p.ExitCode = r[i+1]
			}
		}
	}
	return p, p.InputSHA256 != "", nil
}
