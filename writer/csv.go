package writer

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/bankcard4e/bankcard4e/batch"
)

// utf8BOM starts the CSV output so that Excel reads it as UTF-8.
const utf8BOM = "\xEF\xBB\xBF"

// csvOut writes the Results columns as CSV: UTF-8 with BOM, CRLF line ends
// and quoting as RFC 4180.
type csvOut struct {
	bw *bufio.Writer
	cw *csv.Writer
}

// newCSV starts the CSV output on w with the header row.
func newCSV(w io.Writer, header []string) (*csvOut, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	c := &csvOut{bw: bw, cw: cw}
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvOut) row(cells []string, _ rowClass) error {
	return c.cw.Write(cells)
}

func (c *csvOut) finish(*batch.Report) error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *csvOut) cleanup() error { return nil }
