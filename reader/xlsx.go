package reader

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
)

// workbook is an open XLSX file: its sheets in workbook order and its shared
// strings.
type workbook struct {
	zr     *zip.ReadCloser
	sheets []sheetRef
	sst    sst
}

type sheetRef struct{ name, part string }

// sst is the shared string table, held as one byte slice and the end offset
// of each string, so that a large table costs little more than its text.
type sst struct {
	blob []byte
	ends []uint32
}

func (s *sst) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.blob[start:s.ends[i]]), true
}

// openWorkbook opens an XLSX file and reads its sheet list and shared strings.
func openWorkbook(name string) (*workbook, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%w: not an .xlsx workbook (a password-protected or .xls file renamed?)", ErrFormat)
		}
		return nil, err
	}
	wb := &workbook{zr: zr}
	if err := wb.load(); err != nil {
		zr.Close()
		return nil, err
	}
	return wb, nil
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
	sstPart := ""
	for _, r := range rels {
		targets[r.id] = r.target
		if strings.HasSuffix(r.typ, "/sharedStrings") {
			sstPart = r.target
		}
	}
	err = wb.scan(wbPart, func(d *xml.Decoder, t xml.Token) error {
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "sheet" {
			var name, id string
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					id = a.Value
				}
			}
			if part, ok := targets[id]; ok {
				wb.sheets = append(wb.sheets, sheetRef{name: name, part: part})
			}
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
	return wb.loadSST(sstPart)
}

type rel struct{ id, typ, target string }

// readRels reads a relationships part; targets are resolved against dir.
// A missing part has no relationships.
func (wb *workbook) readRels(part, dir string) ([]rel, error) {
	var out []rel
	err := wb.scan(part, func(d *xml.Decoder, t xml.Token) error {
		se, ok := t.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			return nil
		}
		var r rel
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			}
		}
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
			return f.Open()
		}
	}
	return nil, fmt.Errorf("%s: %w", part, errNoPart)
}

// scan calls fn with every token of a part.
func (wb *workbook) scan(part string, fn func(*xml.Decoder, xml.Token) error) error {
	rc, err := wb.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(bufio.NewReader(rc))
	for {
		t, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", part, err)
		}
		if err := fn(d, t); err != nil {
			return err
		}
	}
}

// loadSST reads the shared strings: the text of every <t> of each <si>,
// leaving out phonetic runs (<rPh>).
func (wb *workbook) loadSST(part string) error {
	inT, rph, inSI := false, 0, false
	err := wb.scan(part, func(d *xml.Decoder, t xml.Token) error {
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
			case "t":
				inT = inSI && rph == 0
			case "rPh":
				rph++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				if len(wb.sst.blob) > math.MaxUint32 {
					return fmt.Errorf("%s: shared strings too large", part)
				}
				wb.sst.ends = append(wb.sst.ends, uint32(len(wb.sst.blob)))
			case "t":
				inT = false
			case "rPh":
				rph--
			}
		case xml.CharData:
			if inT {
				wb.sst.blob = append(wb.sst.blob, t...)
			}
		}
		return nil
	})
	if errors.Is(err, errNoPart) {
		return nil
	}
	return err
}

func (wb *workbook) close() error { return wb.zr.Close() }

// sheetTable streams the rows of one worksheet.
type sheetTable struct {
	wb    *workbook
	name  string
	rc    io.ReadCloser
	dec   *xml.Decoder
	row   int      // number of the current row
	cells []string // cells of the current row
	nums  []bool   // whether each cell of the current row is numeric
	val   []byte   // text of the cell being read
	done  bool
}

func (wb *workbook) openSheet(s sheetRef) (*sheetTable, error) {
	rc, err := wb.open(s.part)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", s.name, err)
	}
	return &sheetTable{wb: wb, name: s.name, rc: rc, dec: xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))}, nil
}

// next reads the next <row> element.
func (t *sheetTable) next() ([]string, int, error) {
	if t.done {
		return nil, 0, io.EOF
	}
	var (
		inRow, inCell, inV, inT bool
		inIS, rph               int
		col                     int
		typ                     string
	)
	for {
		tok, err := t.dec.RawToken()
		if err == io.EOF {
			t.done = true
			if inRow {
				return t.cells, t.row, nil
			}
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, fmt.Errorf("sheet %q: %w", t.name, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "row":
				inRow, col = true, 0
				t.cells, t.nums = t.cells[:0], t.nums[:0]
				r := t.row + 1
				if v := attr(e.Attr, "r"); v != "" {
					if n, err := strconv.Atoi(v); err == nil && n > 0 {
						r = n
					}
				}
				t.row = r
			case "c":
				inCell, typ = true, attr(e.Attr, "t")
				t.val = t.val[:0]
				c := colIndex(attr(e.Attr, "r"))
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
		case xml.CharData:
			if inV || inT {
				t.val = append(t.val, e...)
			}
		case xml.EndElement:
			switch e.Name.Local {
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
					if err := t.setCell(col, typ); err != nil {
						return nil, 0, err
					}
				}
				inCell = false
			case "row":
				return t.cells, t.row, nil
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

// setCell stores the value read for column col (1-based) of type typ.
func (t *sheetTable) setCell(col int, typ string) error {
	var v string
	num := false
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(t.val)))
		s, ok := t.wb.sst.get(i)
		if err != nil || !ok {
			return fmt.Errorf("sheet %q: row %d: bad shared string index", t.name, t.row)
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
	default: // str, inlineStr, e, d: the stored text
		v = string(t.val)
	}
	if v == "" {
		return nil
	}
	for len(t.cells) < col {
		t.cells = append(t.cells, "")
		t.nums = append(t.nums, false)
	}
	t.cells[col-1], t.nums[col-1] = v, num
	return nil
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

func attr(as []xml.Attr, local string) string {
	for _, a := range as {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// colIndex returns the 1-based column of a cell reference such as "AB12", or
// 0 when ref has no column letters.
func colIndex(ref string) int {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
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
