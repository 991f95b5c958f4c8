package reader

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
)

// Bounds of SPEC section 3. A cell or shared string longer than maxCell, or
// a row whose cells add up to more than maxRow, refuses the file.
const (
	maxCell = 1 << 20
	maxRow  = 8 << 20
	// maxToken bounds every token of an XML part: a cell's text and any tag.
	maxToken = maxCell + 64<<10
	// The shared-string table is held in memory, outside the Go heap where
	// the platform allows (sst_unix.go); a larger table is refused.
	maxSSTBytes   = 128 << 20
	maxSSTStrings = 8 << 20
	// maxStyles bounds the cell formats and number formats kept from
	// styles.xml; Excel itself allows 64,000.
	maxStyles = 1 << 16
)

// workbook is an open XLSX file: its sheets in workbook order, its shared
// strings and which cell formats are dates.
type workbook struct {
	zr       *zip.ReadCloser
	sheets   []sheetRef
	sst      sst
	dateXF   []bool // per cell format (the s attribute of a cell): a date format
	date1904 bool
}

type sheetRef struct {
	name, part string
	hidden     bool // state="hidden" or "veryHidden"
}

// Signatures of the files users rename to .xlsx or .csv.
var (
	sigZip = []byte("PK\x03\x04")
	sigOLE = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// openWorkbook opens an XLSX file and reads its sheet list, styles and
// shared strings.
func openWorkbook(name string) (*workbook, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, notZipError(name)
		}
		return nil, err
	}
	wb := &workbook{zr: zr}
	if err := wb.load(); err != nil {
		wb.close()
		return nil, err
	}
	return wb, nil
}

// notZipError says what a file that is not a readable zip is, from its
// first bytes.
func notZipError(name string) error {
	head := make([]byte, 8)
	f, err := os.Open(name)
	if err == nil {
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		f.Close()
	}
	switch {
	case bytes.HasPrefix(head, sigOLE):
		return fmt.Errorf("%w: an Excel 97-2003 (.xls) or password-protected workbook: save it as .xlsx without a password, or as .csv", ErrFormat)
	case bytes.HasPrefix(head, sigZip):
		return fmt.Errorf("%w: the .xlsx file is truncated or damaged (its zip directory is missing or broken): copy or download it again", ErrFormat)
	case len(head) == 0:
		return fmt.Errorf("%w: the file is empty", ErrFormat)
	}
	return fmt.Errorf("%w: not an .xlsx workbook (not a zip file): save the list as .xlsx or .csv", ErrFormat)
}

// partError names a part that cannot be read, telling damage from other
// failures.
func partError(part string, err error) error {
	switch {
	case errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, errXMLSyntax), isFlateError(err):
		return fmt.Errorf("%w: the .xlsx file is damaged (%s: %v): copy or download it again", ErrFormat, part, err)
	}
	return fmt.Errorf("%s: %w", part, err)
}

func isFlateError(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "flate:")
}

func (wb *workbook) load() error {
	wbPart := "xl/workbook.xml"
	rels, err := wb.readRels("_rels/.rels", "")
	if err != nil {
		return err
	}
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			wbPart = r.target
		}
	}
	dir := path.Dir(wbPart)
	rels, err = wb.readRels(path.Join(dir, "_rels", path.Base(wbPart)+".rels"), dir)
	if err != nil {
		return err
	}
	targets := map[string]string{}
	sstPart, stylesPart := "", ""
	for _, r := range rels {
		targets[r.id] = r.target
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sstPart = r.target
		case strings.HasSuffix(r.typ, "/styles"):
			stylesPart = r.target
		}
	}
	err = wb.scan(wbPart, func(s *xmlScanner, kind int) error {
		if kind != tokStart {
			return nil
		}
		switch string(s.name) {
		case "sheet":
			if len(wb.sheets) >= maxStyles {
				return fmt.Errorf("%s: too many sheets", wbPart)
			}
			state := string(s.attr("state"))
			if part, ok := targets[string(s.prefixedAttr("id"))]; ok {
				wb.sheets = append(wb.sheets, sheetRef{name: string(s.attr("name")), part: part, hidden: state == "hidden" || state == "veryHidden"})
			}
		case "workbookPr":
			v := string(s.attr("date1904"))
			wb.date1904 = v == "1" || v == "true"
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(wb.sheets) == 0 {
		return fmt.Errorf("%w: the workbook has no sheets", ErrFormat)
	}
	if sstPart == "" {
		sstPart = path.Join(dir, "sharedStrings.xml") // where every writer puts it
	}
	if stylesPart == "" {
		stylesPart = path.Join(dir, "styles.xml")
	}
	if err := wb.loadStyles(stylesPart); err != nil {
		return err
	}
	return wb.loadSST(sstPart)
}

type rel struct{ id, typ, target string }

// readRels reads a relationships part; targets are resolved against dir.
// A missing part has no relationships.
func (wb *workbook) readRels(part, dir string) ([]rel, error) {
	var out []rel
	err := wb.scan(part, func(s *xmlScanner, kind int) error {
		if kind != tokStart || string(s.name) != "Relationship" {
			return nil
		}
		if len(out) >= maxStyles {
			return fmt.Errorf("%s: too many relationships", part)
		}
		r := rel{id: string(s.attr("Id")), typ: string(s.attr("Type")), target: string(s.attr("Target"))}
		if strings.HasPrefix(r.target, "/") {
			r.target = strings.TrimPrefix(r.target, "/")
		} else {
			r.target = path.Join(dir, r.target)
		}
		out = append(out, r)
		return nil
	})
	if errors.Is(err, errNoPart) {
		return nil, nil
	}
	return out, err
}

var errNoPart = errors.New("part not found")

// open opens a part of the package by name.
func (wb *workbook) open(part string) (io.ReadCloser, error) {
	for _, f := range wb.zr.File {
		if f.Name == part || strings.EqualFold(f.Name, part) {
			rc, err := f.Open()
			if err != nil {
				return nil, partError(part, err)
			}
			return rc, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", part, errNoPart)
}

// scan calls fn with every token of a part.
func (wb *workbook) scan(part string, fn func(*xmlScanner, int) error) error {
	rc, err := wb.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	s := newXMLScanner(rc, maxToken)
	for {
		kind, err := s.next()
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return fmt.Errorf("%w: %s: an XML token longer than 1 MiB (%w)", ErrTooLarge, part, errTooLarge)
			}
			return partError(part, err)
		}
		if kind == tokEOF {
			return nil
		}
		if err := fn(s, kind); err != nil {
			return err
		}
	}
}

// loadStyles reads which cell formats (cellXfs) have a date number format.
func (wb *workbook) loadStyles(part string) error {
	custom := map[int]bool{} // custom numFmtId → is a date format
	var xfFmt []int
	inXfs := false
	err := wb.scan(part, func(s *xmlScanner, kind int) error {
		switch kind {
		case tokStart:
			switch string(s.name) {
			case "numFmt":
				id, err := strconv.Atoi(string(s.attr("numFmtId")))
				if err == nil && len(custom) < maxStyles {
					custom[id] = isDateFormat(string(s.attr("formatCode")))
				}
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs && len(xfFmt) < maxStyles {
					id, err := strconv.Atoi(string(s.attr("numFmtId")))
					if err != nil {
						id = 0
					}
					xfFmt = append(xfFmt, id)
				}
			}
		case tokEnd:
			if string(s.name) == "cellXfs" {
				inXfs = false
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNoPart) {
		return err
	}
	wb.dateXF = make([]bool, len(xfFmt))
	for i, id := range xfFmt {
		if d, ok := custom[id]; ok {
			wb.dateXF[i] = d
		} else {
			wb.dateXF[i] = builtinDate(id)
		}
	}
	return nil
}

// builtinDate reports the built-in number formats that are dates or times:
// 14–22 and 45–47, and the East Asian locales' 27–36 and 50–58, which Chinese
// Excel and WPS write without defining them.
func builtinDate(id int) bool {
	return id >= 14 && id <= 22 || id >= 45 && id <= 47 || id >= 27 && id <= 36 || id >= 50 && id <= 58
}

// isDateFormat reports whether a custom number format code shows a date or
// a time: it has a y, m, d, h or s outside quoted text, escapes and
// [colour]/[$-locale] brackets ([h], [mm], [ss] count).
func isDateFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the format of positive numbers decides
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			in := strings.ToLower(code[i+1 : i+j])
			if in != "" && strings.Trim(in, "hms") == "" {
				return true
			}
			i += j
		case 'y', 'Y', 'd', 'D', 'h', 'H', 's', 'S', 'm', 'M', 'e':
			if c == 'e' || c == 'E' {
				continue // exponent (0.00E+00), not the era year
			}
			return true
		}
	}
	return false
}

// loadSST reads the shared strings: the text of every <t> of each <si>,
// leaving out phonetic runs (<rPh>), with the _xHHHH_ escapes decoded.
func (wb *workbook) loadSST(part string) error {
	inT, rph, inSI := false, 0, false
	var val []byte
	err := wb.scan(part, func(s *xmlScanner, kind int) error {
		switch kind {
		case tokStart:
			switch string(s.name) {
			case "sst":
				if n, err := strconv.Atoi(string(s.attr("uniqueCount"))); err == nil && n > 0 {
					wb.sst.reserve(min(n, maxSSTStrings))
				}
			case "si":
				inSI, val = true, val[:0]
			case "t":
				inT = inSI && rph == 0
			case "rPh":
				rph++
			}
		case tokEnd:
			switch string(s.name) {
			case "si":
				inSI = false
				if wb.sst.count() >= maxSSTStrings {
					return fmt.Errorf("%w: %s: more than %d shared strings; save the sheet as CSV UTF-8 and check that", ErrTooLarge, part, maxSSTStrings)
				}
				if err := wb.sst.add(decodeEscapes(val)); err != nil {
					return fmt.Errorf("%w: %s: %v; save the sheet as CSV UTF-8 and check that", ErrTooLarge, part, err)
				}
			case "t":
				inT = false
			case "rPh":
				rph--
			}
		case tokText:
			if inT {
				if len(val)+len(s.text) > maxCell {
					return fmt.Errorf("%w: %s: shared string %d is longer than 1 MiB", ErrTooLarge, part, wb.sst.count())
				}
				val = append(val, s.text...)
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errNoPart):
		return nil
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("%w: %s: shared string %d is longer than 1 MiB", ErrTooLarge, part, wb.sst.count())
	}
	return err
}

func (wb *workbook) close() error {
	wb.sst.free()
	return wb.zr.Close()
}

// sheetTable streams the rows of one worksheet.
type sheetTable struct {
	wb      *workbook
	name    string
	part    string
	rc      io.ReadCloser
	sc      *xmlScanner
	row     int      // number of the current row
	cells   []string // cells of the current row
	nums    []bool   // whether each cell of the current row is numeric
	rowSize int      // bytes of the current row's cells
	val     []byte   // text of the cell being read
	done    bool
	// fieldCols marks the 0-based columns of the five fields, once the
	// header is known: their numbers are never written as dates.
	fieldCols map[int]bool
}

func (wb *workbook) openSheet(s sheetRef) (*sheetTable, error) {
	rc, err := wb.open(s.part)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", s.name, err)
	}
	return &sheetTable{wb: wb, name: s.name, part: s.part, rc: rc, sc: newXMLScanner(rc, maxToken)}, nil
}

// ErrTooLarge: the input breaks a bound of SPEC section 3 (a CSV record, a
// cell or a shared string over 1 MiB, a shared-string table too large to
// hold).
var ErrTooLarge = errors.New("input too large")

// next reads the next <row> element.
func (t *sheetTable) next() ([]string, int, error) {
	if t.done {
		return nil, 0, io.EOF
	}
	var (
		inRow, inCell, inV, inT bool
		inIS, rph               int
		col, style              int
		typ                     string
	)
	for {
		kind, err := t.sc.next()
		if err != nil {
			if errors.Is(err, errTooLarge) {
				if inCell {
					return nil, 0, fmt.Errorf("%w: sheet %q: cell %s holds more than 1 MiB", ErrTooLarge, t.name, cellName(col, t.row))
				}
				return nil, 0, fmt.Errorf("%w: sheet %q: row %d: an XML token longer than 1 MiB", ErrTooLarge, t.name, t.row)
			}
			return nil, 0, fmt.Errorf("sheet %q: %w", t.name, partError(fmt.Sprintf("%s after row %d", t.part, t.row), err))
		}
		switch kind {
		case tokEOF:
			t.done = true
			if inRow {
				return t.cells, t.row, nil
			}
			return nil, 0, io.EOF
		case tokStart:
			switch string(t.sc.name) {
			case "row":
				if inRow || inCell {
					// A row inside a row or a cell: no writer makes that.
					return nil, 0, fmt.Errorf("%w: the .xlsx file is damaged (sheet %q: a row inside row %d): copy or download it again", ErrFormat, t.name, t.row)
				}
				inRow, col = true, 0
				t.cells, t.nums, t.rowSize = t.cells[:0], t.nums[:0], 0
				r := t.row + 1
				if n, err := strconv.Atoi(string(t.sc.attr("r"))); err == nil && n > 0 {
					if n <= t.row {
						return nil, 0, fmt.Errorf("%w: the .xlsx file is damaged (sheet %q: row %d after row %d): copy or download it again", ErrFormat, t.name, n, t.row)
					}
					r = n
				}
				t.row = r
			case "c":
				if !inRow {
					continue // a cell outside a row holds nothing a user sees
				}
				inCell, typ = true, string(t.sc.attr("t"))
				style = -1
				if s := t.sc.attr("s"); s != nil {
					if n, err := strconv.Atoi(string(s)); err == nil {
						style = n
					}
				}
				t.val = t.val[:0]
				c := colIndex(t.sc.attr("r"))
				if c <= 0 {
					c = col + 1
				}
				if c > 16384 {
					return nil, 0, fmt.Errorf("sheet %q: row %d: column out of range", t.name, t.row)
				}
				col = c
			case "v":
				inV = inCell
			case "is":
				inIS++
			case "t":
				inT = inIS > 0 && rph == 0
			case "rPh":
				rph++
			}
		case tokText:
			if inV || inT {
				if len(t.val)+len(t.sc.text) > maxCell {
					return nil, 0, fmt.Errorf("%w: sheet %q: cell %s holds more than 1 MiB", ErrTooLarge, t.name, cellName(col, t.row))
				}
				t.val = append(t.val, t.sc.text...)
			}
		case tokEnd:
			switch string(t.sc.name) {
			case "v":
				inV = false
			case "t":
				inT = false
			case "is":
				inIS--
			case "rPh":
				rph--
			case "c":
				if inCell {
					if err := t.setCell(col, typ, style); err != nil {
						return nil, 0, err
					}
				}
				inCell = false
			case "row":
				if inRow {
					return t.cells, t.row, nil
				}
			case "sheetData":
				t.done = true
				if inRow {
					return t.cells, t.row, nil
				}
				return nil, 0, io.EOF
			}
		}
	}
}

// setCell stores the value read for column col (1-based) of type typ and
// cell format style (-1 for none).
func (t *sheetTable) setCell(col int, typ string, style int) error {
	if col < 1 {
		return fmt.Errorf("%w: the .xlsx file is damaged (sheet %q: a cell outside a row after row %d): copy or download it again", ErrFormat, t.name, t.row)
	}
	var v string
	num := false
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(t.val)))
		s, ok := t.wb.sst.get(i)
		if err != nil || !ok {
			return fmt.Errorf("sheet %q: cell %s: bad shared string index", t.name, cellName(col, t.row))
		}
		v = s
	case "b":
		switch string(t.val) {
		case "1":
			v = "TRUE"
		case "0":
			v = "FALSE"
		}
	case "", "n":
		v = plainNumber(string(t.val))
		num = v != ""
		if num && style >= 0 && style < len(t.wb.dateXF) && t.wb.dateXF[style] && !t.fieldCols[col-1] {
			if d, ok := serialDate(v, t.wb.date1904); ok {
				v, num = d, false
			}
		}
	case "d":
		v = isoDate(string(t.val))
	case "str", "inlineStr":
		v = string(decodeEscapes(t.val))
	default: // e: the stored text
		v = string(t.val)
	}
	if v == "" {
		return nil
	}
	if t.rowSize += len(v); t.rowSize > maxRow {
		return fmt.Errorf("%w: sheet %q: row %d holds more than 8 MiB", ErrTooLarge, t.name, t.row)
	}
	for len(t.cells) < col {
		t.cells = append(t.cells, "")
		t.nums = append(t.nums, false)
	}
	t.cells[col-1], t.nums[col-1] = v, num
	return nil
}

// cellName is the A1 reference of column col (1-based) of row.
func cellName(col, row int) string {
	var b []byte
	for c := col; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b) + strconv.Itoa(row)
}

// plainNumber writes a stored number in exponent form (1.3800138E+10) as
// plain digits when it is an integer, so that the value is the number and not
// a display form. Other numbers are kept as stored.
func plainNumber(s string) string {
	if !strings.ContainsAny(s, "Ee") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// tooManyDigits reports whether a numeric cell's value has more than 15
// digits before the decimal point: more than Excel can hold exactly.
func tooManyDigits(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(f) >= 1e15
}

// colIndex returns the 1-based column of a cell reference such as "AB12", or
// 0 when ref has no column letters.
func colIndex(ref []byte) int {
	n := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			n = n*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			n = n*26 + int(c-'a'+1)
		default:
			return n
		}
		if n > 1<<20 {
			return n
		}
	}
	return n
}

func (t *sheetTable) numeric(col int) bool { return col >= 0 && col < len(t.nums) && t.nums[col] }

func (t *sheetTable) close() error { return t.rc.Close() }
