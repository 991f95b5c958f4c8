package reader

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/batch"
)

// buildXLSX writes a workbook with the given sheets; each sheet is a list of
// rows set with SetSheetRow at A1, A2, … (nil rows are left out).
func buildXLSX(t testing.TB, sheets []string, rows map[string][][]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows[s] {
			if row == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(s, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "in.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXLSXNumericCells(t *testing.T) {
	p := buildXLSX(t, []string{"说明", "名单"}, map[string][][]any{
		"说明": {{"本表用于核验"}, {"Name", "Phone"}},
		"名单": {
			{"客户四要素核验名单"},
			nil,
			{"序号", "姓名", "银行卡号", "手机号", "身份证号"},
			{1, goodName, goodCard, int64(16689915737), goodID},                 // phone as a number: fine
			{2, goodName, goodCard, goodPhone, int64(110101198503129492)},       // ID as a number
			{3, goodName, int64(6222023416721109), goodPhone, goodID},           // 16-digit card as a number
			{4, goodName, int64(622202341672110), goodPhone, goodID},            // 15-digit card as a number: exact
			{5, goodName, goodCard, goodPhone, 1.10101198503129e17},             // ID rounded by Excel
			{6, goodName, goodCard, goodPhone, "110101198503129492"},            // text
			{7, goodName, goodCard, float64(16689915737), "32010219870919640x"}, // phone as a float
		},
	})
	h, rows, blank := readAll(t, p, Options{})
	if diff := cmp.Diff([]string{"序号", "姓名", "银行卡号", "手机号", "身份证号"}, h.Cells); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if blank != 0 {
		t.Errorf("blank = %d, want 0 (rows above the header do not count)", blank)
	}
	numeric := &batch.Problem{Field: batch.FieldIDCard, Reason: reasonNumeric}
	want := []struct {
		line    int
		problem *batch.Problem
		phone   string
		card    string
	}{
		{4, nil, goodPhone, goodCard},
		{5, numeric, goodPhone, goodCard},
		{6, &batch.Problem{Field: batch.FieldBankCard, Reason: reasonNumeric}, goodPhone, goodCard},
		{7, nil, goodPhone, "622202341672110"},
		{8, numeric, goodPhone, goodCard},
		{9, nil, goodPhone, goodCard},
		{10, nil, goodPhone, goodCard},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || r.Problem.String() != w.problem.String() || r.Fields.Phone != w.phone || r.Fields.BankCard != w.card {
			t.Errorf("row %d: line %d, problem %q, phone %q, card %q; want line %d, problem %q", i, r.Line, r.Problem, r.Fields.Phone, r.Fields.BankCard, w.line, w.problem)
		}
	}
	// The numeric-cell rule holds with NoPrecheck too.
	_, rows, _ = readAll(t, p, Options{NoPrecheck: true})
	if rows[1].Problem.String() != numeric.String() {
		t.Errorf("NoPrecheck: problem = %q, want %q", rows[1].Problem, numeric)
	}
}

func TestXLSXSheets(t *testing.T) {
	header := []any{"Name", "Bank Card", "Mobile", "ID Card"}
	row := func(name string) []any { return []any{name, goodCard, goodPhone, goodID} }
	p := buildXLSX(t, []string{"Notes", "First", "Second"}, map[string][][]any{
		"Notes":  {{"nothing here"}},
		"First":  {header, row("张一")},
		"Second": {{"title"}, header, row("张二")},
	})
	tests := []struct {
		sheet, name string
		line        int
	}{
		{"", "张一", 2},
		{"First", "张一", 2},
		{"Second", "张二", 3},
	}
	for _, tt := range tests {
		t.Run("sheet="+tt.sheet, func(t *testing.T) {
			_, rows, _ := readAll(t, p, Options{Sheet: tt.sheet})
			if len(rows) != 1 || rows[0].Fields.Name != tt.name || rows[0].Line != tt.line {
				t.Errorf("rows = %+v", rows)
			}
		})
	}
	t.Run("missing sheet", func(t *testing.T) {
		_, err := Open(p, Options{Sheet: "Third"})
		if err == nil || !strings.Contains(err.Error(), `no sheet named "Third"`) || !strings.Contains(err.Error(), "Notes, First, Second") {
			t.Errorf("Open = %v", err)
		}
	})
	t.Run("sheet without header", func(t *testing.T) {
		_, err := Open(p, Options{Sheet: "Notes"})
		if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), `sheet "Notes"`) {
			t.Errorf("Open = %v", err)
		}
	})
	t.Run("no sheet with a header", func(t *testing.T) {
		q := buildXLSX(t, []string{"A", "B"}, map[string][][]any{"A": {{"x"}}, "B": {{"Name", "Phone"}}})
		_, err := Open(q, Options{})
		if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), q) {
			t.Errorf("Open = %v", err)
		}
	})
}

// rawXLSX writes a minimal workbook around hand-written sheet XML and shared
// strings, for the forms excelize does not write: inline and rich strings,
// phonetic runs, exponent numbers, cells without references.
func rawXLSX(t testing.TB, sheetData, sst string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "raw.xlsx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := zip.NewWriter(f)
	parts := map[string]string{
		"_rels/.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
		"xl/sharedStrings.xml":     `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sst + `</sst>`,
	}
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

func TestXLSXCellForms(t *testing.T) {
	sst := `<si><t>Name</t></si><si><r><t>Bank</t></r><r><t xml:space="preserve"> Card</t></r></si>` +
		`<si><t>张伟</t><rPh sb="0" eb="1"><t>ZHANG</t></rPh></si><si><t>a &amp; b</t></si>`
	sheet := `<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>` +
		`<c r="C2" t="inlineStr"><is><t>Phone</t></is></c><c r="D2" t="inlineStr"><is><r><t>Id</t></r><r><t>Card</t></r></is></c><c r="E2" t="inlineStr"><is><t>Note</t></is></c></row>` +
		`<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="str"><v>6222023416721109</v></c><c r="C3"><v>1.6689915737E+10</v></c>` +
		`<c r="D3" t="inlineStr"><is><t>110101198503129492</t></is></c><c r="E3" t="b"><v>1</v></c></row>` +
		`<row r="4"></row>` +
		`<row r="5"><c r="A5" t="inlineStr"><is><t> </t></is></c></row>` +
		`<row><c t="s"><v>2</v></c><c t="inlineStr"><is><t>6222023416721109</t></is></c><c><v>16689915737</v></c><c><v>1.10101198503129E+17</v></c><c t="s"><v>3</v></c></row>` +
		`<row r="9"><c r="A9" t="s"><v>2</v></c><c r="B9"><v>6.22202341672E+14</v></c><c r="C9"><v>16689915737</v></c><c r="D9" t="str"><v>110101198503129492</v></c><c r="F9"><v>0.5</v></c></row>`
	h, rows, blank := readAll(t, rawXLSX(t, sheet, sst), Options{})
	if diff := cmp.Diff([]string{"Name", "Bank Card", "Phone", "IdCard", "Note"}, h.Cells); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	if diff := cmp.Diff([]string{"张伟", goodCard, "16689915737", goodID, "TRUE"}, rows[0].Cells); diff != "" || rows[0].Problem != nil {
		t.Errorf("row 3 (-want +got):\n%s problem %v", diff, rows[0].Problem)
	}
	if rows[1].Line != 6 || rows[1].Cells[4] != "a & b" || rows[1].Cells[3] != "110101198503129000" || rows[1].Problem.String() != "idcard: "+reasonNumeric {
		t.Errorf("row 6 = %+v", rows[1])
	}
	if rows[2].Line != 9 || rows[2].Fields.BankCard != "622202341672000" || len(rows[2].Cells) != 5 {
		t.Errorf("row 9 = %+v", rows[2])
	}
	// Rows 4 and 5 are present but blank, 7 and 8 absent.
	if blank != 4 {
		t.Errorf("blank = %d, want 4", blank)
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		file                         string
		rows, blank, invalid, header int
	}{
		{"customers.csv", 26, 1, 8, 7},
		{"customers-gbk.csv", 13, 1, 2, 5},
		{"customers.xlsx", 11, 1, 3, 6},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h, rows, blank := readAll(t, filepath.Join("..", "samples", tt.file), Options{})
			invalid := 0
			for _, r := range rows {
				if r.Problem != nil {
					invalid++
				}
			}
			if len(rows) != tt.rows || blank != tt.blank || invalid != tt.invalid || len(h.Cells) != tt.header {
				t.Errorf("rows %d blank %d invalid %d header %d; want %d %d %d %d", len(rows), blank, invalid, len(h.Cells), tt.rows, tt.blank, tt.invalid, tt.header)
			}
		})
	}
}
