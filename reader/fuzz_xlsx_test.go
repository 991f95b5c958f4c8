package reader

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets of the XLSX reader and the UTF-8 detection. They go
// through the package's entry points (Open, isUTF8), so a rewrite of the
// parsers keeps them.

// fuzzWorkbook is an .xlsx file with one sheet whose XML is sheet and
// whose shared strings part is sst (none when empty).
func fuzzWorkbook(t *testing.T, sheet, sst []byte) string {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": string(sheet),
	}
	if len(sst) > 0 {
		parts["xl/sharedStrings.xml"] = string(sst)
	}
	for name, content := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fuzz.xlsx")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	fuzzSheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	fuzzSheetTail = `</sheetData></worksheet>`
	fuzzSSTHead   = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
)

// FuzzXLSX reads workbooks whose sheet XML and shared strings come from
// the fuzzer: the reader returns rows or an error, never panics, hangs or
// yields a row of another width than its header.
func FuzzXLSX(f *testing.F) {
	header := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>`
	sst := fuzzSSTHead + `<si><t>Name</t></si><si><t>BankCard</t></si><si><t>Phone</t></si><si><t>IdCard</t></si><si><r><t>张</t></r><r><t>伟</t></r></si></sst>`
	for _, rows := range []string{
		header + `<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="inlineStr"><is><t>6222023416721109</t></is></c><c r="C2"><v>1.6689915737E+10</v></c><c r="D2" t="str"><v>110101198503129492</v></c></row>`,
		header + `<row r="5"><c r="Z5" t="s"><v>99</v></c><c t="b"><v>1</v></c></row>`,
		header + `<row><c><v>1</v></c><c r="XFD3"><v>x</v></c></row>`,
		header + `<row r="2"><c r="A2" t="e"><v>#N/A</v></c><c r="B2" t="n"><v>6.2220234167211E+15</v></c></row>`,
		`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>`,
		``,
	} {
		f.Add([]byte(fuzzSheetHead+rows+fuzzSheetTail), []byte(sst))
	}
	f.Add([]byte(fuzzSheetHead+header+fuzzSheetTail), []byte(fuzzSSTHead+`<si><t>Name`))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1"><v>`), []byte(nil))
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		path := fuzzWorkbook(t, sheet, sst)
		r, err := Open(path, Options{})
		if err != nil {
			return
		}
		defer r.Close()
		width := len(r.Header().Cells)
		for range 100000 {
			row, err := r.Next()
			if err != nil {
				return
			}
			if len(row.Cells) != width {
				t.Fatalf("row %d has %d cells, the header %d", row.Line, len(row.Cells), width)
			}
		}
		t.Fatal("more rows than the sheet can hold")
	})
}

// FuzzIsUTF8 checks the chunked UTF-8 scan against utf8.Valid over the
// whole input, with a rune cut at the 64 KiB chunk boundary in every
// possible place: prefix moves the data across the boundary.
func FuzzIsUTF8(f *testing.F) {
	for _, s := range []string{"", "a", "张伟", "\xe5\xbc", "\xff", "\xef\xbb\xbfName", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe4\xb8\xad", "\xc3"} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, prefix uint8) {
		for _, pad := range []int{0, 64<<10 - int(prefix%8)} {
			in := append([]byte(strings.Repeat("a", pad)), data...)
			got, err := isUTF8(bytes.NewReader(in))
			if errors.Is(err, errUTF16) {
				if !bytes.HasPrefix(in, []byte{0xff, 0xfe}) && !bytes.HasPrefix(in, []byte{0xfe, 0xff}) {
					t.Fatalf("%q: UTF-16 without a UTF-16 mark", in[pad:])
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := utf8.Valid(in); got != want {
				t.Fatalf("isUTF8(%d × a + %q) = %v, utf8.Valid %v", pad, data, got, want)
			}
		}
	})
}
