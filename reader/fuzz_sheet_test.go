package reader

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// fuzzXLSX writes a workbook whose sheet and shared strings are the given
// XML, as they are (no wrapping), into dir.
func fuzzXLSX(t *testing.T, sheet, sst []byte) string {
	p := filepath.Join(t.TempDir(), "fuzz.xlsx")
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	const rels = `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	for name, body := range map[string][]byte{
		"_rels/.rels":     []byte(rels + `<Relationship Id="rId1" Type="x/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
		"xl/workbook.xml": []byte(`<workbook xmlns:r="r"><workbookPr date1904="1"/><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": []byte(rels + `<Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="x/styles" Target="styles.xml"/></Relationships>`),
		"xl/styles.xml":            []byte(`<styleSheet><numFmts><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>`),
		"xl/worksheets/sheet1.xml": sheet,
		"xl/sharedStrings.xml":     sst,
	} {
		w, _ := z.Create(name)
		w.Write(body)
	}
	z.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fuzzRead opens path and reads it to its end, checking what every row must
// satisfy. Errors are fine; panics, unbounded cells and disorder are not.
func fuzzRead(t *testing.T, path string) {
	r, err := Open(path, Options{Now: fixedNow})
	if err != nil {
		return
	}
	defer r.Close()
	h := r.Header()
	if in := r.Input(); in.Sheet != "S" || in.HeaderRow < 1 {
		t.Fatalf("Input = %+v", in)
	}
	last := r.Input().HeaderRow
	for i := 0; ; i++ {
		row, err := r.Next()
		if err != nil {
			return
		}
		if row.Index != i || len(row.Cells) != len(h.Cells) || row.Line <= last {
			t.Fatalf("row %d: index %d, %d cells (header %d), line %d after %d", i, row.Index, len(row.Cells), len(h.Cells), row.Line, last)
		}
		for _, c := range row.Cells {
			if len(c) > maxCell+maxCell/2 {
				t.Fatalf("row %d: a cell of %d bytes", i, len(c))
			}
		}
		last = row.Line
	}
}

const fuzzSST = `<sst><si><t>Name</t></si><si><t>BankCard</t></si><si><t>Phone</t></si><si><t>IdCard</t></si><si><t>a_x000D_b</t><rPh><t>x</t></rPh></si></sst>`

func FuzzSheetXML(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData>` + handHeader + `<row r="2">` + inline("A2", "张伟") + inline("B2", goodCard) + inline("C2", goodPhone) + inline("D2", goodID) +
		`<c r="E2" s="1"><v>45322.5</v></c><c r="F2" t="s"><v>4</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<worksheet><sheetData>` + handHeader + `<row><c t="inlineStr"><is><r><t>王</t></r><rPh><t>w</t></rPh></is></c><c t="str"><v>6222023416721109</v></c>` +
		`<c><v>1.6689915737E+10</v></c><c t="d"><v>2024-01-31T00:00:00Z</v></c><c s="2"><v>61</v></c><c t="b"><v>1</v></c></row><row r="9"><c r="XFD9"><v>1</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<worksheet><sheetData>` + handHeader + `<row r="2"><c r="A2" t="s"><v>99</v></c></row><![CDATA[<row>]]><!-- <row> --><?pi?></sheetData>`))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		fuzzRead(t, fuzzXLSX(t, sheet, []byte(fuzzSST)))
	})
}

func FuzzSharedStrings(f *testing.F) {
	f.Add([]byte(fuzzSST))
	f.Add([]byte(`<sst uniqueCount="5"><si><r><t>Na</t></r><r><t xml:space="preserve">me</t></r></si><si><t>Bank&#x43;ard</t></si><si><t>Phone</t></si><si><t>IdCard</t></si><si><t>_xD83D__xDE00__x005F_x0041_</t></si></sst>`))
	f.Add([]byte(`<sst><si><t>Name</t></si><si><t>BankCard</t></si><si><t>Phone</t></si><si><t>IdCard</t></si><si><t>&amp;&lt;&unknown;&#99999999;_xZZZZ_</t></si></sst>`))
	sheet := []byte(`<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c></row>` +
		`<row r="2"><c t="s"><v>4</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c><c t="s"><v>0</v></c></row></sheetData></worksheet>`)
	f.Fuzz(func(t *testing.T, sst []byte) {
		fuzzRead(t, fuzzXLSX(t, sheet, sst))
	})
}

// FuzzXMLScanner checks the scanner against encoding/xml: for a document
// encoding/xml reads without error, both see the same elements and text.
func FuzzXMLScanner(f *testing.F) {
	f.Add([]byte(`<a x="1>2" y='&amp;'><b/>t&lt;e&#x4E2D;xt<![CDATA[<c>]]><!-- c --><?p i?></a>`))
	f.Add([]byte("<r:a xmlns:r=\"u\">\r\nline\rend</r:a>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, err := xmlOracle(data)
		if err != nil {
			return
		}
		s := newXMLScanner(bytes.NewReader(data), maxToken)
		var got []string
		text := []byte{}
		for {
			kind, err := s.next()
			if err != nil {
				t.Fatalf("scanner: %v (encoding/xml read it)", err)
			}
			if kind != tokText && len(text) > 0 {
				got = append(got, "T"+string(text))
				text = text[:0]
			}
			if kind == tokEOF {
				break
			}
			switch kind {
			case tokStart:
				got = append(got, "S"+string(s.name))
			case tokEnd:
				got = append(got, "E"+string(s.name))
			case tokText:
				text = append(text, s.text...)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("scanner %q\nencoding/xml %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("token %d: scanner %q, encoding/xml %q", i, got[i], want[i])
			}
		}
	})
}

// xmlOracle lists the elements and merged text runs encoding/xml reads.
func xmlOracle(data []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var out []string
	var text []byte
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.CharData); !ok {
			if _, skip := tok.(xml.Comment); skip {
				continue
			}
			if _, skip := tok.(xml.ProcInst); skip {
				continue
			}
			if _, skip := tok.(xml.Directive); skip {
				return nil, errors.New("directive")
			}
			if len(text) > 0 {
				out = append(out, "T"+string(text))
				text = nil
			}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			out = append(out, "S"+t.Name.Local)
		case xml.EndElement:
			out = append(out, "E"+t.Name.Local)
		case xml.CharData:
			if !utf8.Valid(t) {
				return nil, errors.New("invalid UTF-8")
			}
			text = append(text, t...)
		}
	}
	if len(text) > 0 {
		out = append(out, "T"+string(text))
	}
	return out, nil
}

// TestSheetXMLMutations runs fuzzRead over fixed pseudo-random mutations of
// a sheet (byte changes, deletions, XML punctuation), so that every test
// run covers some of what FuzzSheetXML explores.
func TestSheetXMLMutations(t *testing.T) {
	seed := []byte(`<worksheet><sheetData>` + handHeader + `<row r="2">` + inline("A2", "张伟") + inline("B2", goodCard) + inline("C2", goodPhone) + inline("D2", goodID) +
		`<c r="E2" s="1"><v>45322.5</v></c><c r="F2" t="s"><v>4</v></c></row><row r="3"><c r="A3" t="s"><v>4</v></c><c r="E3" t="d"><v>2024-01-31T00:00:00Z</v></c></row></sheetData></worksheet>`)
	n := 400
	if testing.Short() {
		n = 50
	}
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < n; i++ {
		b := append([]byte(nil), seed...)
		for k := 0; k < 1+rng.Intn(6); k++ {
			j := rng.Intn(len(b))
			switch rng.Intn(3) {
			case 0:
				b[j] = byte(rng.Intn(256))
			case 1:
				b = append(b[:j], b[j+1:]...)
			case 2:
				b[j] = "0123456789<>/\"= "[rng.Intn(16)]
			}
		}
		fuzzRead(t, fuzzXLSX(t, b, []byte(fuzzSST)))
	}
}
