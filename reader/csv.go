package reader

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// table is one sheet of cells, read a row at a time.
type table interface {
	// next returns the cells of the next row and its 1-based row number in
	// the file; cells are valid until the following call. io.EOF at the end.
	next() (cells []string, line int, err error)
	// numeric reports whether cell col of the last row was stored as a number.
	numeric(col int) bool
	close() error
}

// csvTable reads a CSV file.
type csvTable struct {
	f       *os.File
	r       *csv.Reader
	row     int // row number of the last record, counting empty lines as rows
	endLine int // physical line on which the last record ended
}

// openCSV opens a CSV file, decoding it as GB18030 when it is not UTF-8.
// When digest is set, it receives the whole file as the UTF-8 scan reads it.
func openCSV(path string, digest io.Writer) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var scan io.Reader = f
	if digest != nil {
		scan = io.TeeReader(f, digest)
	}
	utf, err := isUTF8(scan)
	if err == nil && digest != nil {
		_, err = io.Copy(digest, f) // the rest after an invalid byte
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var src io.Reader = br
	if utf {
		if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
			br.Discard(3)
		}
	} else {
		src = simplifiedchinese.GB18030.NewDecoder().Reader(br)
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return &csvTable{f: f, r: r}, nil
}

// errUTF16 is returned for files saved as "Unicode text" by Excel.
var errUTF16 = errors.New("the file is UTF-16 text, not CSV")

// isUTF8 reports whether the whole of r is valid UTF-8. It stops at the first
// invalid byte sequence; a scan costs little next to parsing the CSV.
func isUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0 // bytes of an incomplete rune kept from the previous chunk
	first := true
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		if first && n >= 2 && (buf[0] == 0xff && buf[1] == 0xfe || buf[0] == 0xfe && buf[1] == 0xff) {
			return false, errUTF16
		}
		first = false
		end := n
		if err == nil {
			// Keep up to 3 bytes of a rune cut by the chunk boundary.
			for k := 1; k <= 3 && k <= n; k++ {
				if utf8.RuneStart(buf[n-k]) {
					if !utf8.FullRune(buf[n-k : n]) {
						end = n - k
					}
					break
				}
			}
		}
		if !utf8.Valid(buf[:end]) {
			return false, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		carry = copy(buf, buf[end:n])
	}
}

func (t *csvTable) next() ([]string, int, error) {
	rec, err := t.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// Strict RFC 4180: a malformed record stops the file rather than
			// letting a stray quote swallow the rows after it.
			return nil, 0, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		return nil, 0, err
	}
	start, _ := t.r.FieldPos(0)
	if t.row == 0 {
		t.row = start
	} else {
		// Empty lines are rows to a user looking at the file in Excel.
		t.row += 1 + start - t.endLine - 1
	}
	// Only the last field can run past the line its start is on.
	lastLine, _ := t.r.FieldPos(len(rec) - 1)
	t.endLine = lastLine + strings.Count(rec[len(rec)-1], "\n")
	return rec, t.row, nil
}

func (t *csvTable) numeric(int) bool { return false }

func (t *csvTable) close() error { return t.f.Close() }
