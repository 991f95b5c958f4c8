package reader

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The workbooks in testdata were written by openpyxl (Debian python3-openpyxl
// 3.0.9) and by LibreOffice Calc from them; testdata/gen_openpyxl.py holds
// the commands that remake them. Each has a hidden template sheet and a very
// hidden lookup sheet before the list, a 证件类型 column with labels, dates
// and a date-time in an extra column, and a number that is not a date.
func TestXLSXOtherWriters(t *testing.T) {
	tests := []struct {
		file, underscore string
	}{
		// openpyxl writes _x0041_ as it is, which Excel reads as "A";
		// LibreOffice escapes the underscore (_x005F_x0041_).
		{"openpyxl-1900.xlsx", "aAb"},
		{"openpyxl-1904.xlsx", "aAb"},
		{"libreoffice-1900.xlsx", "a_x0041_b"},
		{"libreoffice-1904.xlsx", "a_x0041_b"},
	}
	header := []string{"序号", "姓名", "银行卡号", "手机号", "身份证号", "证件类型", "开户日期", "备注"}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join("testdata", tt.file)
			r, err := Open(p, Options{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			in := r.Input()
			r.Close()
			if in.Sheet != "名单" || in.HeaderRow != 3 || in.String() != `sheet "名单", header row 3` {
				t.Errorf("Input = %+v (%s), want sheet 名单, header row 3", in, in)
			}
			h, rows, _ := readAll(t, p, Options{})
			if diff := cmp.Diff(header, h.Cells); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if len(rows) != 3 {
				t.Fatalf("got %d rows, want 3", len(rows))
			}
			want := []struct {
				cert, date, note string
				problem          string
				extra            []string
			}{
				{"0", "2024-01-31", "line one\nline two", "", []string{"45292.5"}},
				{"0", "2024-01-31T13:45:00", "  spaced  ", "", nil},
				{"护照", "1999-12-31", tt.underscore, "certtype: unsupported", nil},
			}
			for i, w := range want {
				row := rows[i]
				if row.Fields.CertType != w.cert || row.Cells[6] != w.date || row.Cells[7] != w.note || row.Cells[0] != []string{"1", "2", "3"}[i] {
					t.Errorf("row %d: certtype %q, cells %q; want certtype %q, date %q, note %q", row.Line, row.Fields.CertType, row.Cells, w.cert, w.date, w.note)
				}
				if got := Category(row.Problem); got != w.problem {
					t.Errorf("row %d: problem %q, want %q", row.Line, got, w.problem)
				}
			}
			// --sheet can still name the hidden template.
			_, rows, _ = readAll(t, p, Options{Sheet: "模板"})
			if len(rows) != 1 || rows[0].Fields.Name != "示例" || rows[0].Fields.CertType != "0" {
				t.Errorf("hidden sheet by name: rows %+v", rows)
			}
		})
	}
}

// handXLSX writes a workbook from hand-made XML: the sheets (name, state,
// sheet XML inside <sheetData>), shared strings and styles.
type handSheet struct{ name, state, data string }

func handXLSX(t testing.TB, sheets []handSheet, workbookPr, sst, styles string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hand.xlsx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := zip.NewWriter(f)
	const rels = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	var wbSheets, wbRels strings.Builder
	parts := map[string]string{
		"_rels/.rels": rels + `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	}
	for i, s := range sheets {
		id := "rId" + string(rune('1'+i))
		state := ""
		if s.state != "" {
			state = ` state="` + s.state + `"`
		}
		wbSheets.WriteString(`<sheet name="` + s.name + `" sheetId="` + string(rune('1'+i)) + `"` + state + ` r:id="` + id + `"/>`)
		wbRels.WriteString(`<Relationship Id="` + id + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + string(rune('1'+i)) + `.xml"/>`)
		parts["xl/worksheets/sheet"+string(rune('1'+i))+".xml"] = `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + s.data + `</sheetData></worksheet>`
	}
	parts["xl/workbook.xml"] = `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		workbookPr + `<sheets>` + wbSheets.String() + `</sheets></workbook>`
	wbRels.WriteString(`<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`)
	wbRels.WriteString(`<Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`)
	parts["xl/_rels/workbook.xml.rels"] = rels + wbRels.String() + `</Relationships>`
	parts["xl/sharedStrings.xml"] = `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sst + `</sst>`
	parts["xl/styles.xml"] = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + styles + `</styleSheet>`
	for name, body := range parts {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// inline is an inline-string cell.
func inline(ref, text string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t xml:space="preserve">` + text + `</t></is></c>`
}

const handHeader = `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>`

// handHeader2 is handHeader in row 2.
const handHeader2 = `<row r="2"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c></row>`
const handSST = `<si><t>Name</t></si><si><t>BankCard</t></si><si><t>Phone</t></si><si><t>IdCard</t></si><si><t>Note</t></si>`

// Hand-made XML in the forms Excel, XlsxWriter and SheetJS write: _xHHHH_
// escapes in shared and inline strings, phonetic runs, rich text.
func TestXLSXEscapesAndPhonetic(t *testing.T) {
	sst := handSST +
		`<si><t>张伟_x000D_</t></si>` + // 5: a trailing CR, as Excel writes it
		`<si><t>a_x000d_b_X000D_c</t></si>` + // 6: lower case hex; _X is not an escape
		`<si><t>_x005F_x000D_</t></si>` + // 7: a literal "_x000D_"
		`<si><r><t>张</t></r><r><rPr><b/></rPr><t>伟</t></r><rPh sb="0" eb="2"><t>ちょうい</t></rPh><phoneticPr fontId="1"/></si>` + // 8
		`<si><t>_xD83D__xDE00_ &amp; _x0009_tab</t></si>` // 9: a surrogate pair
	row := func(r, name, note string) string {
		return `<row r="` + r + `"><c r="A` + r + `" t="s"><v>` + name + `</v></c>` + inline("B"+r, goodCard) + inline("C"+r, goodPhone) + inline("D"+r, goodID) + note + `</row>`
	}
	data := handHeader +
		row("2", "5", `<c r="E2" t="s"><v>6</v></c>`) +
		row("3", "8", `<c r="E3" t="s"><v>7</v></c>`) +
		row("4", "8", `<c r="E4" t="s"><v>9</v></c>`) +
		row("5", "8", inline("E5", "x_x000A_y_x005f_")) +
		row("6", "8", `<c r="E6" t="str"><v>f_x000D_</v></c>`) +
		`<row r="7"><c r="A7" t="inlineStr"><is><t>王_x0001_芳</t></is></c>` + inline("B7", goodCard) + inline("C7", goodPhone) + inline("D7", goodID) + `</row>`
	_, rows, _ := readAll(t, handXLSX(t, []handSheet{{"Data", "", data}}, "", sst, ""), Options{})
	want := []struct {
		name, note, problem string
	}{
		{"张伟", "a\rb_X000D_c", ""},
		{"张伟", "_x000D_", ""},
		{"张伟", "😀 & \ttab", ""},
		{"张伟", "x\ny_", ""},
		{"张伟", "f\r", ""},
		{"王\x01芳", "", "name: contains a control character"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].Fields.Name != w.name || rows[i].Cells[4] != w.note || Category(rows[i].Problem) != w.problem {
			t.Errorf("row %d: name %q note %q problem %q; want %q %q %q", rows[i].Line, rows[i].Fields.Name, rows[i].Cells[4], rows[i].Problem, w.name, w.note, w.problem)
		}
	}
}

func TestXLSXHiddenSheets(t *testing.T) {
	example := handHeader + `<row r="2">` + inline("A2", "示例") + inline("B2", goodCard) + inline("C2", goodPhone) + inline("D2", goodID) + `</row>`
	list := `<row r="1">` + inline("A1", "名单") + `</row>` + handHeader2 + `<row r="3">` + inline("A3", "张伟") + inline("B3", goodCard) + inline("C3", goodPhone) + inline("D3", goodID) + `</row>`
	sheets := []handSheet{{"模板", "hidden", example}, {"代码表", "veryHidden", example}, {"名单", "visible", list}}
	p := handXLSX(t, sheets, "", handSST, "")
	tests := []struct {
		sheet, name string
		row         int
	}{
		{"", "张伟", 2},
		{"模板", "示例", 1},
		{"代码表", "示例", 1},
	}
	for _, tt := range tests {
		r, err := Open(p, Options{Sheet: tt.sheet, Now: fixedNow})
		if err != nil {
			t.Fatalf("sheet %q: %v", tt.sheet, err)
		}
		row, err := r.Next()
		in := r.Input()
		r.Close()
		if err != nil || row.Fields.Name != tt.name || in.HeaderRow != tt.row {
			t.Errorf("--sheet %q: name %q, input %+v, %v; want %q, header row %d", tt.sheet, row.Fields.Name, in, err, tt.name, tt.row)
		}
	}
	// Only hidden sheets have a header: the error says they were skipped.
	q := handXLSX(t, []handSheet{{"模板", "hidden", example}, {"空", "", `<row r="1">` + inline("A1", "x") + `</row>`}}, "", handSST, "")
	_, err := Open(q, Options{})
	if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), "hidden sheets skipped: 模板") {
		t.Errorf("Open = %v", err)
	}
}

func TestXLSXDates(t *testing.T) {
	styles := `<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>` +
		`<numFmt numFmtId="165" formatCode="[Red]0.00;&quot;day&quot;"/><numFmt numFmtId="166" formatCode="[h]:mm"/></numFmts>` +
		`<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="49"/></cellXfs>`
	cells := []struct {
		cell       string
		want, w190 string // 1900 and 1904 date systems
	}{
		{`<c r="E2" s="1"><v>45322</v></c>`, "2024-01-31", "2028-02-01"},
		{`<c r="E2" s="2"><v>45322.5729166667</v></c>`, "2024-01-31T13:45:00", "2028-02-01T13:45:00"},
		{`<c r="E2" s="3"><v>1</v></c>`, "1900-01-01", "1904-01-02"},
		{`<c r="E2" s="3"><v>60</v></c>`, "1900-02-29", "1904-03-01"},
		{`<c r="E2" s="3"><v>61</v></c>`, "1900-03-01", "1904-03-02"},
		{`<c r="E2" s="4"><v>45322</v></c>`, "45322", "45322"}, // [Red]0.00: not a date
		{`<c r="E2" s="5"><v>0.5</v></c>`, "12:00:00", "1904-01-01T12:00:00"},
		{`<c r="E2" s="6"><v>45322</v></c>`, "45322", "45322"},    // Text
		{`<c r="E2" s="1"><v>1E+300</v></c>`, "1E+300", "1E+300"}, // out of range: kept
		{`<c r="E2" t="d"><v>2024-01-31T00:00:00Z</v></c>`, "2024-01-31", "2024-01-31"},
		{`<c r="E2" t="d"><v>2024-01-31T08:30:00.000</v></c>`, "2024-01-31T08:30:00", "2024-01-31T08:30:00"},
	}
	t.Run("not in a field's column", func(t *testing.T) {
		data := handHeader + `<row r="2">` + inline("A2", "张伟") + inline("B2", goodCard) + `<c r="C2" s="1"><v>16689915737</v></c>` + `<c r="D2" s="1"><v>20</v></c></row>`
		_, rows, _ := readAll(t, handXLSX(t, []handSheet{{"Data", "", data}}, "", handSST, styles), Options{})
		if len(rows) != 1 || rows[0].Cells[2] != goodPhone || rows[0].Cells[3] != "20" {
			t.Errorf("rows %+v, want the phone and ID as stored", rows)
		}
	})
	for _, c := range cells {
		for _, pr := range []string{"", `<workbookPr date1904="1"/>`} {
			data := handHeader + `<row r="2">` + inline("A2", "张伟") + inline("B2", goodCard) + inline("C2", goodPhone) + inline("D2", goodID) + c.cell + `</row>`
			_, rows, _ := readAll(t, handXLSX(t, []handSheet{{"Data", "", data}}, pr, handSST, styles), Options{})
			want := c.want
			if pr != "" {
				want = c.w190
			}
			if len(rows) != 1 || rows[0].Cells[4] != want {
				t.Errorf("%s %s: rows %+v, want %q", pr, c.cell, rows, want)
			}
		}
	}
}

// Damaged workbooks and renamed files say what they are.
func TestXLSXDamaged(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "openpyxl-1900.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	// Damage the compressed data of the list's sheet.
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet3.xml" {
			off, _ := f.DataOffset()
			for i := off + 20; i < off+60; i++ {
				flipped[i] ^= 0x55
			}
		}
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "truncated or damaged"},
		{"damaged", flipped, "damaged"},
		{"xls renamed", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...), "Excel 97-2003"},
		{"text renamed", []byte("Name,BankCard\n"), "not a zip file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(writeFile(t, "in.xlsx", tt.data), Options{})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "password-protected or .xls renamed") {
				t.Errorf("Open = %v, want %q", err, tt.want)
			}
		})
	}
}

var _ = batch.FieldName

// Rows numbered backwards are a damaged sheet, not rows to read out of
// order (found by TestSheetXMLMutations).
func TestXLSXRowsOutOfOrder(t *testing.T) {
	data := handHeader + `<row r="3">` + inline("A3", "张伟") + inline("B3", goodCard) + inline("C3", goodPhone) + inline("D3", goodID) + `</row>` +
		`<row r="2">` + inline("A2", "王芳") + `</row>`
	r, err := Open(handXLSX(t, []handSheet{{"Data", "", data}}, "", handSST, ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatalf("row 3: %v", err)
	}
	_, err = r.Next()
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "row 2 after row 3") {
		t.Errorf("Next = %v, want a damaged-sheet error", err)
	}
}
