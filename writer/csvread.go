package writer

import (
	"bufio"
	"encoding/csv"
	"io"
)

// CSVReader reads a .csv output of this package back: the UTF-8 BOM
// skipped and every cell un-escaped (UnescapeCSV), so that each record
// holds the values as they were given to the Writer. It is not safe for
// concurrent use.
type CSVReader struct {
	br    *bufio.Reader
	cr    *csv.Reader
	start bool // the BOM has been looked for
}

// NewCSVReader reads the .csv output in r.
func NewCSVReader(r io.Reader) *CSVReader {
	br := bufio.NewReader(r)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	return &CSVReader{br: br, cr: cr}
}

// Read returns the next record, or io.EOF after the last. Its errors are
// encoding/csv's (a *csv.ParseError carries the line).
func (c *CSVReader) Read() ([]string, error) {
	if !c.start {
		c.start = true
		if bom, _ := c.br.Peek(len(utf8BOM)); string(bom) == utf8BOM {
			c.br.Discard(len(utf8BOM))
		}
	}
	rec, err := c.cr.Read()
	for i, s := range rec {
		rec[i] = UnescapeCSV(s)
	}
	return rec, err
}
