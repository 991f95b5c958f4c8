package writer

import (
	"bufio"
	"io"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// utf8BOM starts the CSV output so that Excel reads it as UTF-8.
const utf8BOM = "\xEF\xBB\xBF"

// csvOut writes the Results columns as CSV: UTF-8 with BOM, CRLF at the
// end of each record, quoting as RFC 4180, and every cell that a
// spreadsheet would run as a formula made text (EscapeCSV). A cell's bytes
// are written as they are — a carriage return or a newline inside a cell
// included (encoding/csv's Writer with UseCRLF drops a lone carriage
// return, so it is not used).
type csvOut struct {
	bw *bufio.Writer
}

// newCSV starts the CSV output on w with the header row.
func newCSV(w io.Writer, header []string) (*csvOut, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return nil, err
	}
	c := &csvOut{bw: bw}
	if err := c.row(header, 0); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvOut) row(cells []string, _ int) error {
	for i, s := range cells {
		if i > 0 {
			c.bw.WriteByte(',')
		}
		s = EscapeCSV(s)
		if !needsQuotes(s) {
			c.bw.WriteString(s)
			continue
		}
		c.bw.WriteByte('"')
		for {
			q := strings.IndexByte(s, '"')
			if q < 0 {
				break
			}
			c.bw.WriteString(s[:q+1])
			c.bw.WriteByte('"')
			s = s[q+1:]
		}
		c.bw.WriteString(s)
		c.bw.WriteByte('"')
	}
	_, err := c.bw.WriteString("\r\n")
	return err
}

// needsQuotes reports whether a CSV cell must be quoted: it holds a comma,
// a quote, a carriage return or a newline, begins with a space or a tab, or
// is \. (which some readers take for the end of data).
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || s[0] == ' ' || s[0] == '\t' {
		return true
	}
	return strings.ContainsAny(s, ",\"\r\n")
}

func (c *csvOut) finish(*batch.Report, *[numVerdicts]int) error {
	return c.bw.Flush()
}

func (c *csvOut) cleanup() error { return nil }

// EscapeCSV makes a cell of the .csv output safe to open in a spreadsheet
// (the OWASP CSV-injection guidance): a value that begins with =, +, -, @,
// a tab or a carriage return, and is not a plain number such as -6 or
// -1.5, gets a single quote in front, so that Excel and LibreOffice show it
// as text instead of running it as a formula. A value that begins with a
// quote followed by one of those characters or by another quote gets one
// more quote too, so that UnescapeCSV recovers every value exactly.
// Anything else is returned unchanged.
func EscapeCSV(s string) string {
	if s == "" {
		return s
	}
	switch {
	case isFormulaStart(s[0]) && !isPlainNumber(s):
		return "'" + s
	case s[0] == '\'' && len(s) > 1 && (isFormulaStart(s[1]) || s[1] == '\''):
		return "'" + s
	}
	return s
}

// UnescapeCSV undoes EscapeCSV: it drops one leading single quote when the
// character after it is =, +, -, @, a tab, a carriage return or another
// single quote. Anything else is returned unchanged.
func UnescapeCSV(s string) string {
	if len(s) > 1 && s[0] == '\'' && (isFormulaStart(s[1]) || s[1] == '\'') {
		return s[1:]
	}
	return s
}

// isFormulaStart reports whether a cell beginning with b may be run as a
// formula by a spreadsheet.
func isFormulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// isPlainNumber reports whether s is a decimal number and nothing else: an
// optional sign, digits, and an optional fraction (-6, +1, -1.5).
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			frac++
		}
		if frac == 0 {
			return false
		}
	}
	return i == len(s)
}
