package reader

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/bankcard4e/bankcard4e/batch"
)

// maxRecord bounds one CSV record (SPEC section 3).
const maxRecord = 1 << 20

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
	f        *os.File
	r        *csvScanner
	strict   bool // a UTF-8 BOM: every record must be valid UTF-8
	delim    rune
	encoding string
	row      int // row number of the last record, counting empty lines as rows
	endLine  int // physical line on which the last record ended
}

// errUTF16 is returned for files saved as "Unicode text" by Excel.
var errUTF16 = errors.New("the file is UTF-16 text (Excel's \"Unicode Text\"), not CSV: save it as \"CSV UTF-8 (Comma delimited)\"")

// errBinary: a file named .csv that holds binary data.
var errBinary = errors.New("not a text file")

// sniffSize is how much of the file the encoding, line-end and delimiter
// checks look at.
const sniffSize = 64 << 10

// openCSV opens a CSV file: UTF-8 (with or without BOM), or GB18030 when it
// has no BOM and is not valid UTF-8. The delimiter is the one of ',', ';'
// and tab with which the header line (row headerRow, or the first of the
// first ten non-empty lines that m recognises) splits into the most
// recognised columns. When digest is set, it receives the whole file
// (for the input's fingerprint): during the open, or, when the file is
// read as UTF-8 from its first bytes (utf8Text), as the rows are read, and
// whole once Next has returned io.EOF.
func openCSV(path string, m matcher, headerRow int, digest io.Writer) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := newCSVTable(f, m, headerRow, digest)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

func newCSVTable(f *os.File, m matcher, headerRow int, digest io.Writer) (*csvTable, error) {
	br := bufio.NewReaderSize(f, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if err := textKind(head); err != nil {
		return nil, err
	}
	t := &csvTable{f: f, encoding: "UTF-8"}
	var src io.Reader = br
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		if digest != nil { // no encoding scan reads this file: hash it apart
			if _, err := io.Copy(digest, io.NewSectionReader(f, 0, math.MaxInt64)); err != nil {
				return nil, err
			}
		}
		br.Discard(3)
		head = head[3:]
		t.strict = true
	} else if utf8Text(head) {
		// The first bytes are UTF-8 with characters beyond ASCII, which
		// GB18030 text almost never is: the file is read as UTF-8 without
		// a pass of its own, each byte checked as the rows are read (a
		// byte that is not UTF-8 further on stops the read, naming it),
		// and fingerprinted then.
		src = &utf8Checker{r: br}
		if digest != nil {
			src = &utf8Checker{r: io.TeeReader(br, digest)}
		}
	} else {
		var scan io.Reader = br
		if digest != nil {
			scan = io.TeeReader(br, digest)
		}
		utf, err := isUTF8(scan)
		if err == nil && digest != nil {
			_, err = io.Copy(digest, br) // the rest after an invalid byte
		}
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			return nil, err
		}
		br.Reset(f)
		if !utf {
			t.encoding = "GB18030"
			dec := simplifiedchinese.GB18030.NewDecoder()
			src = dec.Reader(br)
			if h, err := dec.Bytes(validPrefix(head)); err == nil {
				head = h
			}
		}
	}
	cr := crOnly(head)
	t.delim = sniffDelimiter(head, cr, m, headerRow)
	t.r = newCSVScanner(src, t.delim, cr)
	return t, nil
}

// validPrefix cuts a sample at its last line end, so that a multi-byte
// character cut by the sample's end does not fail its decoding.
func validPrefix(b []byte) []byte {
	if i := bytes.LastIndexAny(b, "\r\n"); i >= 0 {
		return b[:i+1]
	}
	return b
}

// textKind refuses what is not text: UTF-16 (with or without BOM), and
// binary data such as a workbook renamed .csv.
func textKind(head []byte) error {
	if len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
		return errUTF16
	}
	nul := bytes.IndexByte(head, 0)
	if nul < 0 {
		return nil
	}
	switch {
	case bytes.HasPrefix(head, sigZip):
		return fmt.Errorf("%w: it is a zip file (an .xlsx workbook renamed .csv?): name it .xlsx", errBinary)
	case bytes.HasPrefix(head, sigOLE):
		return fmt.Errorf("%w: it is an Excel 97-2003 (.xls) workbook renamed .csv: save it as .xlsx or CSV UTF-8", errBinary)
	}
	// UTF-16 without BOM: every other byte of ASCII text is zero.
	n := min(len(head), 4096)
	var zeros [2]int
	for i := 0; i < n; i++ {
		if head[i] == 0 {
			zeros[i%2]++
		}
	}
	if zeros[0] > n/4 && zeros[1] == 0 || zeros[1] > n/4 && zeros[0] == 0 {
		return errUTF16
	}
	return fmt.Errorf("%w: byte %d is a NUL, so this is binary data, not CSV: save the list as .xlsx or CSV UTF-8", errBinary, nul+1)
}

// crOnly reports whether the sample's first line ends with a CR alone (old
// Mac line ends).
func crOnly(head []byte) bool {
	i := bytes.IndexAny(head, "\r\n")
	return i >= 0 && head[i] == '\r' && (i+1 >= len(head) || head[i+1] != '\n') && i+1 < len(head)
}

// delimiters are the candidates, in order of preference on a tie.
var delimiters = [...]rune{',', ';', '\t'}

// sniffDelimiter returns the delimiter with which a header line in the
// sample splits into the most recognised columns (ties: more cells, then
// the order of delimiters).
func sniffDelimiter(head []byte, cr bool, m matcher, headerRow int) rune {
	sample := head
	if cr {
		sample = bytes.ReplaceAll(head, []byte("\r"), []byte("\n"))
	}
	best, bestFound, bestCells := ',', -1, 0
	for _, d := range delimiters {
		r := csv.NewReader(bytes.NewReader(sample))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord = d, true, -1
		for seen := 0; seen < maxHeaderSearch; {
			rec, err := r.Read()
			if err != nil {
				break
			}
			line, _ := r.FieldPos(0)
			if headerRow > 0 && line != headerRow {
				if line > headerRow {
					break
				}
				continue
			}
			if blankWithAnyDelimiter(rec) {
				continue
			}
			seen++
			h, _ := m.match(rec)
			n := len(found(h))
			if n > bestFound || n == bestFound && len(rec) > bestCells {
				best, bestFound, bestCells = d, n, len(rec)
			}
		}
	}
	return best
}

// blankWithAnyDelimiter reports whether a record is blank whichever of the
// candidate delimiters splits it (",," is blank when split at ';' too).
func blankWithAnyDelimiter(rec []string) bool {
	for _, c := range rec {
		if strings.TrimFunc(c, func(r rune) bool { return r == ',' || r == ';' || isTrimmable(r) }) != "" {
			return false
		}
	}
	return true
}

// utf8Text reports whether head, the file's first sniffSize bytes, is
// valid UTF-8 (but for a character cut at its end) and holds a character
// beyond ASCII.
func utf8Text(head []byte) bool {
	ascii := true
	for _, b := range head {
		if b >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return false
	}
	return utf8.Valid(head[:wholeRunes(head)])
}

// wholeRunes is len(b) less the start of a character cut by b's end (up
// to 3 bytes), if any.
func wholeRunes(b []byte) int {
	n := len(b)
	for k := 1; k <= 3 && k <= n; k++ {
		if utf8.RuneStart(b[n-k]) {
			if !utf8.FullRune(b[n-k:]) {
				return n - k
			}
			break
		}
	}
	return n
}

// errMixedEncoding is the error of a file that began as UTF-8 and holds a
// byte further on that is not.
type errMixedEncoding struct{ offset int64 }

func (e *errMixedEncoding) Error() string {
	return fmt.Sprintf("byte %d is not UTF-8, though the file before it is: it mixes encodings; save it again as \"CSV UTF-8 (Comma delimited)\"", e.offset+1)
}

// utf8Checker passes r's bytes on while they are valid UTF-8; at the first
// that is not, it passes on the bytes before it and then fails with
// errMixedEncoding.
type utf8Checker struct {
	r     io.Reader
	off   int64   // bytes passed on
	carry [3]byte // the start of a character cut by the last read
	nc    int
	err   error
}

func (c *utf8Checker) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) < utf8.UTFMax {
		return 0, io.ErrShortBuffer // never: the scanner reads in chunks
	}
	copy(p, c.carry[:c.nc])
	n, err := c.r.Read(p[c.nc:])
	n += c.nc
	end := n
	if err == nil {
		end = wholeRunes(p[:n]) // keep a character cut by the read's end
	}
	if bad := invalidAt(p[:end]); bad >= 0 {
		c.err = &errMixedEncoding{offset: c.off + int64(bad)}
		c.off += int64(bad)
		return bad, c.err
	}
	c.nc = copy(c.carry[:], p[end:n]) // none at the end of the file: it was checked whole
	c.off += int64(end)
	return end, err
}

// invalidAt is the offset of the first byte of b that starts no valid
// UTF-8 character, or -1.
func invalidAt(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// isUTF8 reports whether the whole of r is valid UTF-8. It stops at the first
// invalid byte sequence; a scan costs little next to parsing the CSV.
func isUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0 // bytes of an incomplete rune kept from the previous chunk
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		end := n
		if err == nil {
			end = wholeRunes(buf[:n]) // keep a rune cut by the chunk boundary
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

// recordTooLarge is the error of a record over maxRecord.
type recordTooLarge struct{ line int }

func (e *recordTooLarge) Error() string {
	return fmt.Sprintf("line %d: the record is longer than 1 MiB (a stray quote, or not a list of customers?)", e.line)
}

func (e *recordTooLarge) Unwrap() error { return ErrTooLarge }

func (t *csvTable) next() ([]string, int, error) {
	rec, line, err := t.appendNext(t.r.fields[:0])
	if err != nil {
		return nil, 0, err
	}
	t.r.fields = rec
	return rec, line, nil
}

// appendNext is next that appends the row's cells to dst (they stay valid
// after the following call) and returns dst so extended: the prefetching
// goroutine reads the cells straight into its batch. On an error, dst is
// returned as it was.
func (t *csvTable) appendNext(dst []string) ([]string, int, error) {
	from := len(dst)
	dst, err := t.r.appendRecord(dst)
	if err != nil {
		dst = dst[:from]
		var tl *recordTooLarge
		var pe *csv.ParseError
		switch {
		case errors.As(err, &tl):
			return dst, 0, tl
		case errors.As(err, &pe):
			// Strict RFC 4180: a malformed record stops the file rather than
			// letting a stray quote swallow the rows after it.
			return dst, 0, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		return dst, 0, err
	}
	rec := dst[from:]
	start := t.r.firstLine
	if t.row == 0 {
		t.row = start
	} else {
		// Empty lines are rows to a user looking at the file in Excel.
		t.row += 1 + start - t.endLine - 1
	}
	// Only the last field can run past the line its start is on, and only
	// when quoted.
	t.endLine = t.r.lastLine
	if t.r.quotes {
		t.endLine += strings.Count(rec[len(rec)-1], "\n")
	}
	if t.strict {
		for _, c := range rec {
			if !utf8.ValidString(c) {
				return dst[:from], 0, fmt.Errorf("line %d: not valid UTF-8, though the file starts with a UTF-8 BOM (a line pasted from a GBK file?): fix the line or save the file again as CSV UTF-8", start)
			}
		}
	}
	return dst, t.row, nil
}

func (t *csvTable) numeric(int) bool { return false }

func (t *csvTable) close() error { return t.f.Close() }

// otherDelimiter is, for a record of fewer cells than the header's want,
// the candidate delimiter other than the file's that would split it into
// want cells or more: a line saved with another delimiter (SPEC 3). 0 when
// none would.
func (t *csvTable) otherDelimiter(cells []string, want int) rune {
	if len(cells) >= want {
		return 0
	}
	line := strings.Join(cells, string(t.delim))
	for _, d := range delimiters {
		if d != t.delim && strings.Count(line, string(d))+1 >= want {
			return d
		}
	}
	return 0
}

// delimiterProblem is the Error of a row whose line uses delimiter d where
// the header uses the file's: it names the line and both delimiters, and
// the first required field the short row has no cell for.
func (t *csvTable) delimiterProblem(h *batch.Header, cells []string, line int, d rune) *batch.Problem {
	field := batch.FieldBankCard
	for _, f := range []struct {
		name string
		col  int
	}{{batch.FieldName, h.Name}, {batch.FieldBankCard, h.BankCard}, {batch.FieldPhone, h.Phone}, {batch.FieldIDCard, h.IDCard}} {
		if f.col >= len(cells) {
			field = f.name
			break
		}
	}
	return &batch.Problem{Field: field, Reason: fmt.Sprintf("another delimiter (line %d is split by %s, the header by %s: %d %s where %d were expected; save the file with one delimiter)",
		line, DelimiterName(d), DelimiterName(t.delim), len(cells), map[bool]string{true: "cell", false: "cells"}[len(cells) == 1], len(h.Cells))}
}
