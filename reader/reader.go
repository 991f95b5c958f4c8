package reader

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// maxHeaderSearch is how many non-empty rows are searched for the header.
const maxHeaderSearch = 10

// Errors for errors.Is.
var (
	// ErrNoHeader: no row among the first ten non-empty rows holds the four
	// required columns.
	ErrNoHeader = errors.New("no header row")
	// ErrFormat: the file is not a CSV or XLSX file (e.g. .xls).
	ErrFormat = errors.New("unsupported file format")
)

// Options say how to read an input.
type Options struct {
	Sheet      string            // XLSX sheet; "" for the first sheet with a recognised header
	Columns    map[string]string // field (batch.Field*) → header text, from ParseColumns; overrides the aliases
	NoPrecheck bool              // let rows that fail the format checks through (Problem nil); the numeric-cell rule still holds
	HeaderRow  int               // the header is this 1-based row of the file or sheet (--header-row); 0 searches the first 10 non-empty rows
	Now        func() time.Time  // "today" for the birth-date check; nil means time.Now
	// Digest, when set, receives every byte of a CSV input once, as the
	// reader reads it: the caller fingerprints the file without opening it
	// again. It has the whole file once Next has returned io.EOF (some of
	// it, or all, already when Open returns). (An .xlsx input is read out
	// of order and feeds nothing.)
	Digest io.Writer
}

// Reader yields the normalised, checked data rows of one input file. It
// implements batch.Source. It is not safe for concurrent use.
type Reader struct {
	path     string
	tab      table
	wb       *workbook // nil for CSV
	header   batch.Header
	csv      *csvTable // the CSV table under tab, for its delimiter; nil for XLSX
	opts     Options
	today    int // dateNumber of "today", for the birth-date check
	index    int // Index of the next row
	lastLine int // Line of the last row read (header or data)
	blank    int
	slab     []string // backing store of Row.Cells, cut for many rows at once
	input    Input
}

// Input says where the rows come from, for check and verify to print
// (Input.String) before they count or send anything.
type Input struct {
	Sheet     string // XLSX: the sheet read; "" for CSV
	HeaderRow int    // 1-based row of the header in the file (CSV) or sheet (XLSX)
	Delimiter rune   // CSV: ',', ';' or '\t', found from the header line; 0 for XLSX
	Encoding  string // CSV: "UTF-8" or "GB18030"; "" for XLSX
	// Notes are warnings about the header, e.g. two columns that both match
	// one field and which of them was taken. They name headers, never values.
	Notes []string
}

// DelimiterName names a CSV delimiter for the console: "comma",
// "semicolon", "tab".
func DelimiterName(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return strconv.QuoteRune(d)
}

// String is the line check and verify print: `sheet "名单", header row 3`,
// or for CSV `header row 1` and, when the delimiter is not a comma,
// `, delimiter semicolon`.
func (in Input) String() string {
	var b strings.Builder
	if in.Sheet != "" {
		fmt.Fprintf(&b, "sheet %q, ", in.Sheet)
	}
	fmt.Fprintf(&b, "header row %d", in.HeaderRow)
	if in.Delimiter != 0 && in.Delimiter != ',' {
		fmt.Fprintf(&b, ", delimiter %s", DelimiterName(in.Delimiter))
	}
	return b.String()
}

// Input returns where the rows come from: sheet, header row, CSV delimiter
// and encoding, and notes about the header.
func (r *Reader) Input() Input { return r.input }

// slabRows is how many rows' cells are allocated together.
const slabRows = 256

// Open opens the input at path, finds its header row and returns a Reader
// positioned at the first data row. Errors name the file.
func Open(path string, o Options) (*Reader, error) {
	r, err := open(path, o)
	if err != nil {
		return nil, fmt.Errorf("open input %q: %w", path, err)
	}
	return r, nil
}

func open(path string, o Options) (*Reader, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.HeaderRow < 0 {
		return nil, fmt.Errorf("--header-row %d: want a row number, 1 or more", o.HeaderRow)
	}
	r := &Reader{path: path, opts: o, today: dateNumber(now())}
	m := newMatcher(o.Columns)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		t, err := openCSV(path, m, o.HeaderRow, o.Digest)
		if err != nil {
			return nil, err
		}
		r.input.Delimiter, r.input.Encoding = t.delim, t.encoding
		if err := r.findHeader(t, m); err != nil {
			t.close()
			return nil, err
		}
		return r, nil
	case ".xlsx":
		return r, r.openXLSX(path, m)
	case ".xls":
		return nil, fmt.Errorf("%w: .xls (Excel 97-2003) is not supported: save it as .xlsx or .csv", ErrFormat)
	default:
		return nil, fmt.Errorf("%w: %q: save the list as .xlsx or .csv", ErrFormat, ext)
	}
}

func (r *Reader) openXLSX(path string, m matcher) error {
	wb, err := openWorkbook(path)
	if err != nil {
		return err
	}
	var names, hidden []string
	var errs []error
	for _, s := range wb.sheets {
		names = append(names, s.name)
		if r.opts.Sheet != "" && s.name != r.opts.Sheet {
			continue
		}
		if r.opts.Sheet == "" && s.hidden {
			hidden = append(hidden, s.name) // a template or lookup table, not the list
			continue
		}
		t, err := wb.openSheet(s)
		if err == nil {
			err = r.findHeader(t, m)
			if err == nil {
				r.wb = wb
				r.input.Sheet = s.name
				return nil
			}
			t.close()
		}
		if r.opts.Sheet != "" || !errors.Is(err, ErrNoHeader) {
			wb.close()
			if r.opts.Sheet != "" {
				return fmt.Errorf("sheet %q: %w", s.name, err)
			}
			return err
		}
		errs = append(errs, fmt.Errorf("sheet %q: %w", s.name, err))
	}
	wb.close()
	if r.opts.Sheet != "" {
		return fmt.Errorf("no sheet named %q (sheets: %s)", r.opts.Sheet, strings.Join(names, ", "))
	}
	if len(hidden) > 0 {
		errs = append(errs, fmt.Errorf("hidden sheets skipped: %s (name one with --sheet)", strings.Join(hidden, ", ")))
	}
	return errors.Join(errs...)
}

// findHeader reads t up to and including the header row: row
// Options.HeaderRow, or the first of the first ten non-empty rows that holds
// the four required columns.
func (r *Reader) findHeader(t table, m matcher) error {
	var best []string
	bestN := -1
	want := r.opts.HeaderRow
	for seen := 0; want > 0 || seen < maxHeaderSearch; {
		cells, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if want > 0 {
			if line < want {
				continue
			}
			if line > want || allBlank(cells) {
				return fmt.Errorf("%w: row %d (--header-row) is empty", ErrNoHeader, want)
			}
		}
		if allBlank(cells) {
			continue
		}
		seen++
		h, ok := m.match(cells)
		if ok {
			h.Cells = make([]string, len(cells))
			for i, c := range cells {
				h.Cells[i] = strings.TrimSpace(c)
			}
			r.input.Notes = m.duplicates(h.Cells)
			r.input.HeaderRow = line
			if st, ok := t.(*sheetTable); ok {
				// Dates are written as dates in the extra columns only.
				st.fieldCols = map[int]bool{h.Name: true, h.BankCard: true, h.Phone: true, h.IDCard: true, h.CertType: true}
			}
			// The data rows are parsed a batch ahead on another core.
			ct, csv := t.(*csvTable) // CSV has no numeric cells
			r.csv = ct
			r.header, r.lastLine = h, line
			r.tab = prefetch(t, !csv, func(cells []string) (batch.Fields, *batch.Problem) { return checkRow(&h, cells, r.today) })
			return nil
		}
		if n := len(found(h)); n > bestN {
			best, bestN = append([]string(nil), cells...), n
		}
		if want > 0 {
			break
		}
	}
	if bestN < 0 {
		if want > 0 {
			return fmt.Errorf("%w: the file has no row %d (--header-row)", ErrNoHeader, want)
		}
		return fmt.Errorf("%w with name, bankcard, phone and idcard in the first %d non-empty rows (found: the file has no non-empty row)", ErrNoHeader, maxHeaderSearch)
	}
	if err := m.missingOverride(best, r.opts.Columns); err != nil {
		return fmt.Errorf("%w: %w", ErrNoHeader, err)
	}
	h, _ := m.match(best)
	have := "none of them"
	if f := found(h); len(f) > 0 {
		have = strings.Join(f, ", ")
	}
	if want > 0 {
		return fmt.Errorf("%w: row %d (--header-row) lacks %s (found: %s)", ErrNoHeader, want, strings.Join(missing(h), ", "), have)
	}
	return fmt.Errorf("%w with name, bankcard, phone and idcard in the first %d non-empty rows (found: %s)", ErrNoHeader, maxHeaderSearch, have)
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if c != "" && (c[0] < utf8.RuneSelf && !asciiSpace[c[0]] || strings.TrimFunc(c, isTrimmable) != "") {
			return false
		}
	}
	return true
}

// Header returns the recognised header row.
func (r *Reader) Header() batch.Header { return r.header }

// Blank returns how many all-blank rows below the header were skipped so far.
func (r *Reader) Blank() int { return r.blank }

// Next returns the next non-blank data row, or io.EOF after the last one.
// A row that fails the local checks is returned with its Problem set; an
// error means the file itself could not be read further.
func (r *Reader) Next() (batch.Row, error) {
	for {
		cells, line, err := r.tab.next()
		if err == io.EOF {
			return batch.Row{}, io.EOF
		}
		if err != nil {
			return batch.Row{}, fmt.Errorf("read input %q: %w", r.path, err)
		}
		if gap := line - r.lastLine - 1; gap > 0 {
			r.blank += gap // rows absent from the file, or empty CSV lines
		}
		r.lastLine = line
		if allBlank(cells) {
			r.blank++
			continue
		}
		return r.row(cells, line), nil
	}
}

// row builds the Row of one non-blank record.
func (r *Reader) row(cells []string, line int) batch.Row {
	h := &r.header
	n := len(h.Cells)
	row := batch.Row{Index: r.index, Line: line}
	r.index++
	if _, ahead := r.tab.(*prefetched); ahead && len(cells) >= n {
		// A prefetched row's cells are its own, never reused: kept as they
		// are, but for the cells beyond the header, which are dropped.
		row.Cells = cells[:n:n]
	} else {
		if len(r.slab) < n {
			r.slab = make([]string, n*slabRows)
		}
		row.Cells = r.slab[:n:n]
		r.slab = r.slab[n:]
		copy(row.Cells, cells) // padded with ""; cells beyond the header are dropped
	}
	var problem *batch.Problem // check's, on the fields
	if pf, ok := r.tab.(*prefetched); !ok {
		row.Fields, problem = checkRow(h, row.Cells, r.today)
	} else if row.Fields, problem, ok = pf.fields(); !ok {
		row.Fields, problem = checkRow(h, row.Cells, r.today)
	}
	var other rune
	if r.csv != nil {
		other = r.csv.otherDelimiter(cells, n)
	}
	sheet := r.csv == nil // CSV has no numeric cells
	switch {
	case other != 0:
		row.Problem = r.csv.delimiterProblem(h, cells, line, other)
	case sheet && r.tab.numeric(h.BankCard) && tooManyDigits(row.Cells[h.BankCard]):
		row.Problem = &batch.Problem{Field: batch.FieldBankCard, Reason: reasonNumeric}
	case sheet && r.tab.numeric(h.IDCard) && tooManyDigits(row.Cells[h.IDCard]):
		row.Problem = &batch.Problem{Field: batch.FieldIDCard, Reason: reasonNumeric}
	case !r.opts.NoPrecheck:
		row.Problem = problem
	}
	return row
}

// normalizeRow returns the normalised fields of a row's cells under header
// h; a field whose column the row has no cell for is "".
func normalizeRow(h *batch.Header, cells []string) batch.Fields {
	cell := func(col int) string {
		if col < 0 || col >= len(cells) {
			return ""
		}
		return cells[col]
	}
	f := batch.Fields{
		Name:     Normalize(batch.FieldName, cell(h.Name)),
		BankCard: Normalize(batch.FieldBankCard, cell(h.BankCard)),
		Phone:    Normalize(batch.FieldPhone, cell(h.Phone)),
		IDCard:   Normalize(batch.FieldIDCard, cell(h.IDCard)),
	}
	if h.CertType >= 0 {
		f.CertType = Normalize(batch.FieldCertType, cell(h.CertType))
	}
	return f
}

// Close releases the file.
func (r *Reader) Close() error {
	err := r.tab.close()
	if r.wb != nil {
		if e := r.wb.close(); err == nil {
			err = e
		}
	}
	return err
}
