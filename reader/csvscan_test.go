package reader

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// choppedReader returns its data in reads of random sizes, to put the
// scanner's buffer ends anywhere.
type choppedReader struct {
	data []byte
	rnd  *rand.Rand
}

func (c *choppedReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rnd.IntN(12))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// scanned is one outcome of a CSV read: a record and the lines its first
// and last fields start on, or an error.
type scanned struct {
	fields      []string
	first, last int
	err         error
}

// readEncodingCSV reads data with encoding/csv as the reader used to:
// FieldsPerRecord -1, strict quotes.
func readEncodingCSV(data []byte, comma rune) []scanned {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord = comma, -1
	var out []scanned
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return append(out, scanned{err: err})
		}
		first, _ := r.FieldPos(0)
		last, _ := r.FieldPos(len(rec) - 1)
		out = append(out, scanned{fields: rec, first: first, last: last})
	}
}

// readScanner reads data with a csvScanner, in reads of random sizes.
func readScanner(data []byte, comma rune, crOnly bool, limit int, rnd *rand.Rand) []scanned {
	s := newCSVScanner(&choppedReader{bytes.Clone(data), rnd}, comma, crOnly)
	s.limit = limit
	var out []scanned
	for {
		rec, err := s.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return append(out, scanned{err: err})
		}
		out = append(out, scanned{fields: slices.Clone(rec), first: s.firstLine, last: s.lastLine})
	}
}

// sameOutcome reports whether a and b are the same record, or the same
// parse error (kind and lines).
func sameOutcome(a, b scanned) bool {
	if a.err != nil || b.err != nil {
		var pa, pb *csv.ParseError
		if !errors.As(a.err, &pa) || !errors.As(b.err, &pb) {
			return false
		}
		return pa.StartLine == pb.StartLine && pa.Line == pb.Line && pa.Column == pb.Column && pa.Err == pb.Err
	}
	return slices.Equal(a.fields, b.fields) && a.first == b.first && a.last == b.last
}

// TestCSVScannerMatchesEncodingCSV reads random files of text, delimiters,
// quotes and line ends, most of them malformed, with the scanner and with
// encoding/csv: the same records, field lines and errors. A CR-only file is
// encoding/csv's reading of it with every CR turned into LF.
func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aab ,;\"\"\r\n\n")
	for iter := 0; iter < 30000; iter++ {
		data := make([]byte, rnd.IntN(60))
		for i := range data {
			data[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		comma := []rune{',', ';'}[rnd.IntN(2)]
		cr := rnd.IntN(4) == 0
		ref := data
		if cr {
			ref = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
		}
		want := readEncodingCSV(ref, comma)
		got := readScanner(data, comma, cr, maxRecord, rand.New(rand.NewPCG(rnd.Uint64(), 0)))
		if len(got) != len(want) || !func() bool {
			for i := range got {
				if !sameOutcome(got[i], want[i]) {
					return false
				}
			}
			return true
		}() {
			t.Fatalf("data %q comma %q crOnly %v:\n got %+v\nwant %+v", data, comma, cr, got, want)
		}
	}
}

// wellFormedCSV returns a random valid CSV file: plain and quoted fields
// (with doubled quotes, delimiters and line ends inside), LF or CRLF line
// ends, empty lines.
func wellFormedCSV(rnd *rand.Rand) []byte {
	var b strings.Builder
	for range rnd.IntN(8) {
		if rnd.IntN(5) == 0 {
			b.WriteString([]string{"\n", "\r\n"}[rnd.IntN(2)])
			continue
		}
		for f := range 1 + rnd.IntN(4) {
			if f > 0 {
				b.WriteByte(',')
			}
			if rnd.IntN(3) == 0 {
				b.WriteByte('"')
				for range rnd.IntN(8) {
					b.WriteString([]string{"a", "\"\"", ",", "\n", "\r\n", " "}[rnd.IntN(6)])
				}
				b.WriteByte('"')
			} else {
				b.WriteString(strings.Repeat("ab"[rnd.IntN(2):][:1], rnd.IntN(8)))
			}
		}
		if b.WriteString([]string{"\n", "\r\n"}[rnd.IntN(2)]); rnd.IntN(10) == 0 {
			break // the last record without a line end
		}
	}
	return []byte(b.String())
}

// firstTooLong follows the quotes of data to the first record (without its
// line end) longer than limit, and returns the line it starts on; 0 when
// there is none.
func firstTooLong(data []byte, limit int) int {
	quoted, line, start, at := false, 1, 1, 0
	for i, c := range data {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && quoted:
			line++
		case c == '\n':
			if i-at > limit {
				return start
			}
			line++
			start, at = line, i+1
		}
	}
	if len(data)-at > limit {
		return start
	}
	return 0
}

// TestCSVScannerBoundsRecords reads random valid files with small limits:
// the records encoding/csv reads up to the first record over the limit,
// then a refusal naming the line that record starts on.
func TestCSVScannerBoundsRecords(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	refused := 0
	for iter := 0; iter < 20000; iter++ {
		data := wellFormedCSV(rnd)
		limit := rnd.IntN(30)
		want := readEncodingCSV(data, ',')
		got := readScanner(data, ',', false, limit, rand.New(rand.NewPCG(rnd.Uint64(), 0)))
		tooLong := firstTooLong(data, limit)
		ok := true
		for i, g := range got {
			if g.err != nil {
				var tl *recordTooLarge
				ok = i == len(got)-1 && errors.As(g.err, &tl) && tl.line == tooLong && errors.Is(g.err, ErrTooLarge)
				break
			}
			ok = ok && i < len(want) && sameOutcome(g, want[i]) && (tooLong == 0 || g.first < tooLong)
		}
		if tooLong == 0 {
			ok = ok && len(got) == len(want)
		} else {
			refused++
			ok = ok && len(got) > 0 && got[len(got)-1].err != nil
		}
		if !ok {
			t.Fatalf("data %q limit %d: got %+v, want %+v then a refusal at line %d", data, limit, got, want, tooLong)
		}
	}
	if refused < 1000 || refused > 19000 {
		t.Errorf("%d of 20000 refused: the cases test too little", refused)
	}
}

// TestSplitFields compares the eight-bytes-at-a-time split with
// strings.Split, on lines of every length up to 40 of commas, semicolons,
// tabs and the bytes next to them in value, with each delimiter.
func TestSplitFields(t *testing.T) {
	alphabet := []byte{',', ';', '\t', '+', '-', ':', '<', '\b', '\n', 0x00, 0x01, 0x2b, 0x2d, 0x80, 0xac, 0xff, 'a', '1', ' '}
	rnd := rand.New(rand.NewPCG(17, 18))
	for iter := 0; iter < 300000; iter++ {
		b := make([]byte, rnd.IntN(41))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		line := string(b)
		for _, comma := range []byte{',', ';', '\t'} {
			got := splitFields([]string{"before"}, line, comma)
			want := append([]string{"before"}, strings.Split(line, string(comma))...)
			if !slices.Equal(got, want) {
				t.Fatalf("splitFields(%q, %q) = %q, want %q", line, comma, got[1:], want[1:])
			}
		}
	}
}
