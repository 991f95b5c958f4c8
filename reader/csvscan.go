package reader

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// csvScanner reads CSV records as encoding/csv does with FieldsPerRecord -1
// and strict quotes: the same fields, lines and errors. It finds where each
// record ends itself, following the quotes, so that it can refuse a record
// longer than limit (SPEC 3) before holding more of it, and turn CR-only
// line ends into LF as they are read. A record without a quote, the
// common case, is one line split at the delimiter; a record with a quote
// is handed, alone, to encoding/csv.
type csvScanner struct {
	src    io.Reader
	comma  byte // ',', ';' or '\t'
	crOnly bool
	limit  int // longest record, in bytes without its line end

	buf  []byte
	r, w int // buf[r:w] is read from src and not yet scanned into a record
	eof  bool
	err  error // src's error other than io.EOF, after the bytes before it

	recAt int // where in buf the last record returned by record began

	// chunk is a copy of buf[chunkAt:chunkAt+len(chunk)], made once for
	// the records in it: their fields are substrings of it, one allocation
	// for many rows rather than one a row. (A field keeps its chunk, some
	// 128 KiB, alive while it lives.)
	chunk   string
	chunkAt int

	line      int      // lines read so far
	fields    []string // the last record, reused
	firstLine int      // line the last record's first field starts on
	lastLine  int      // line its last field starts on
	quotes    bool     // the last record holds a quote (a field may span lines)

	quoted   bytes.Reader  // a record with quotes, for encoding/csv
	quotedBR *bufio.Reader // over quoted
}

// scanChunk is how much the scanner asks of src at a time.
const scanChunk = 64 << 10

func newCSVScanner(src io.Reader, comma rune, crOnly bool) *csvScanner {
	return &csvScanner{src: src, comma: byte(comma), crOnly: crOnly, limit: maxRecord, buf: make([]byte, 2*scanChunk)}
}

// fill reads more of src after buf[:s.w], first moving buf[keep:s.w] to the
// front (growing buf if that leaves less than scanChunk free). It returns
// how far the bytes moved back.
func (s *csvScanner) fill(keep int) int {
	moved := keep
	n := copy(s.buf, s.buf[keep:s.w])
	s.r -= moved
	s.chunkAt -= moved
	s.w = n
	if len(s.buf)-s.w < scanChunk {
		b := make([]byte, 2*len(s.buf))
		copy(b, s.buf[:s.w])
		s.buf = b
	}
	for {
		k, err := s.src.Read(s.buf[s.w:])
		if s.crOnly {
			crToLF(s.buf[s.w : s.w+k])
		}
		s.w += k
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err = err
		}
		if k > 0 || err != nil {
			return moved
		}
	}
}

// crToLF turns every CR of b into LF.
func crToLF(b []byte) {
	for i := bytes.IndexByte(b, '\r'); i >= 0; {
		b[i] = '\n'
		k := bytes.IndexByte(b[i+1:], '\r')
		if k < 0 {
			return
		}
		i += 1 + k
	}
}

// record returns the bytes of the next record, up to and with its line end
// (none at the end of the file), and whether it holds a quote. A line end
// inside a quoted field does not end a record. At the end of the file it
// returns no bytes and io.EOF.
func (s *csvScanner) record() (rec []byte, quotes bool, err error) {
	i := s.r // s.buf[s.r:i] is scanned
	quoted := false
	// Every byte is looked at once for a quote and at most once for a line
	// end, however many quotes a line holds: nl is the next line end at or
	// after i when known, noNL how far there is none.
	nl, noNL := -1, i
	for {
		for i < s.w {
			if quoted {
				q := bytes.IndexByte(s.buf[i:s.w], '"')
				if q < 0 {
					i = s.w
					break
				}
				i += q + 1
				quoted = false
				continue
			}
			if nl < i {
				nl = -1
				from := max(i, noNL)
				if k := bytes.IndexByte(s.buf[from:s.w], '\n'); k >= 0 {
					nl = from + k
				} else {
					noNL = s.w
				}
			}
			end := s.w
			if nl >= 0 {
				end = nl
			}
			if q := bytes.IndexByte(s.buf[i:end], '"'); q >= 0 {
				i += q + 1
				quotes, quoted = true, true
				continue
			}
			if nl < 0 {
				i = s.w
				break
			}
			if nl-s.r > s.limit {
				return nil, false, &recordTooLarge{line: s.line + 1}
			}
			rec, s.recAt = s.buf[s.r:nl+1], s.r
			s.r = nl + 1
			return rec, quotes, nil
		}
		if i-s.r > s.limit {
			return nil, false, &recordTooLarge{line: s.line + 1}
		}
		if s.err != nil {
			return nil, false, s.err
		}
		if s.eof {
			if s.r == s.w {
				return nil, false, io.EOF
			}
			rec, s.recAt = s.buf[s.r:s.w], s.r
			s.r = s.w
			return rec, quotes, nil
		}
		moved := s.fill(s.r)
		i, noNL = i-moved, noNL-moved
		if nl >= 0 {
			nl -= moved
		}
	}
}

// Read returns the next record's fields, valid until the following call.
// Like encoding/csv, it skips empty lines, ends a line at LF or CRLF, and
// drops a CR just before the end of the file.
func (s *csvScanner) Read() ([]string, error) {
	fields, err := s.appendRecord(s.fields[:0])
	if err != nil {
		return nil, err
	}
	s.fields = fields
	return fields, nil
}

// appendRecord is Read that appends the record's fields to dst (the
// fields are strings of their own, valid after the following call) and
// returns dst so extended; on an error, dst is returned as it was.
func (s *csvScanner) appendRecord(dst []string) ([]string, error) {
	for {
		rec, quotes, err := s.record()
		if err != nil {
			return dst, err
		}
		s.quotes = quotes
		if quotes {
			return s.readQuoted(dst, rec)
		}
		s.line++
		line := rec
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
			if n >= 2 && line[n-2] == '\r' {
				line = line[:n-2]
			}
		} else if n > 0 && line[n-1] == '\r' { // the end of the file
			line = line[:n-1]
		}
		if len(line) == 0 {
			continue
		}
		dst = splitFields(dst, s.text(s.recAt, len(line)), s.comma)
		s.firstLine, s.lastLine = s.line, s.line
		return dst, nil
	}
}

// splitFields appends the fields of line, a record without quotes or line
// end, split at comma: substrings of line. It looks at eight bytes at a
// time, as a row's fields are short (one call of bytes.IndexByte a field
// costs more than the search).
func splitFields(dst []string, line string, comma byte) []string {
	pat := uint64(comma) * 0x0101010101010101
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := word(line[i:]) ^ pat // comma bytes become 0
		// The lowest zero byte of x borrows into its high bit; a byte
		// above it may too without being zero: each is looked at.
		for m := (x - 0x0101010101010101) &^ x & 0x8080808080808080; m != 0; m &= m - 1 {
			if j := i + bits.TrailingZeros64(m)/8; line[j] == comma {
				dst = append(dst, line[start:j])
				start = j + 1
			}
		}
	}
	for ; i < len(line); i++ {
		if line[i] == comma {
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	return append(dst, line[start:])
}

// text is buf[at:at+n] as a string: a substring of the chunk when it holds
// those bytes, else of a new chunk of every byte read from at on.
func (s *csvScanner) text(at, n int) string {
	if at < s.chunkAt || at+n > s.chunkAt+len(s.chunk) {
		s.chunk, s.chunkAt = string(s.buf[at:s.w]), at
	}
	return s.chunk[at-s.chunkAt : at-s.chunkAt+n]
}

// errSplitRecord: encoding/csv read a record with quotes as more than one
// record, which the scanner's quote count should make impossible.
var errSplitRecord = errors.New("a quoted record read as more than one")

// readQuoted reads one record with quotes with encoding/csv, counting its
// lines and errors from the record's first line, and appends its fields to
// dst.
func (s *csvScanner) readQuoted(dst []string, rec []byte) ([]string, error) {
	base := s.line
	s.line += bytes.Count(rec, []byte{'\n'})
	if rec[len(rec)-1] != '\n' {
		s.line++ // the last line, ended by the end of the file
	}
	s.quoted.Reset(rec)
	if s.quotedBR == nil {
		s.quotedBR = bufio.NewReader(&s.quoted)
	} else {
		s.quotedBR.Reset(&s.quoted)
	}
	r := csv.NewReader(s.quotedBR)
	r.Comma = rune(s.comma)
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			moved := *pe
			moved.StartLine += base
			moved.Line += base
			return dst, &moved
		}
		return dst, err
	}
	first, _ := r.FieldPos(0)
	last, _ := r.FieldPos(len(fields) - 1)
	if _, err := r.Read(); err != io.EOF {
		return dst, fmt.Errorf("%w: line %d: %w", errInternal, base+1, errSplitRecord)
	}
	s.firstLine, s.lastLine = base+first, base+last
	return append(dst, fields...), nil
}
