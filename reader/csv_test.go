package reader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/bankcard4e/bankcard4e/batch"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSVEncodings(t *testing.T) {
	const body = "姓名,银行卡号,手机号,身份证号,备注\n张伟,6222023416721109,16689915737,110101198503129492,老客户\n"
	crlf := strings.ReplaceAll(body, "\n", "\r\n")
	// A long ASCII prefix puts the first GBK bytes far past the first chunk.
	longGBK := "title" + strings.Repeat(" ", 70<<10) + "\n" + body
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-8 lf", []byte(body)},
		{"utf-8 crlf", []byte(crlf)},
		{"utf-8 bom", append([]byte("\xef\xbb\xbf"), body...)},
		{"utf-8 bom crlf", append([]byte("\xef\xbb\xbf"), crlf...)},
		{"gbk lf", gbk(t, body)},
		{"gbk crlf", gbk(t, crlf)},
		{"gbk after 64 KiB of ascii", gbk(t, longGBK)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rows, _ := readAll(t, writeFile(t, "in.csv", tt.data), Options{})
			if diff := cmp.Diff([]string{"姓名", "银行卡号", "手机号", "身份证号", "备注"}, h.Cells); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			if rows[0].Fields != goodFields || rows[0].Cells[4] != "老客户" || rows[0].Problem != nil {
				t.Errorf("row = %+v", rows[0])
			}
		})
	}
}

// A file read as UTF-8 from its first bytes that holds a byte further on
// that is not UTF-8 (GBK text appended to a UTF-8 list) is refused at that
// byte, after the rows before it, never read as something else; so is one
// that ends inside a character.
func TestCSVMixedEncodingRefused(t *testing.T) {
	const header = "姓名,银行卡号,手机号,身份证号\n"
	const row = "张伟,6222023416721109,16689915737,110101198503129492\n"
	utf := header + strings.Repeat(row, 2000) // past the 64 KiB the open looks at
	for name, data := range map[string][]byte{
		"gbk after utf-8":      append([]byte(utf), gbk(t, row)...),
		"cut at the end":       append([]byte(utf), "张"[:2]...),
		"cut before a row end": append(append([]byte(utf), "张"[:2]...), ",1\n"...),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Open(writeFile(t, "in.csv", data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows := 0
			for {
				row, err := r.Next()
				if err == nil {
					if row.Problem != nil {
						t.Fatalf("row %d: %v", row.Line, row.Problem)
					}
					rows++
					continue
				}
				want := fmt.Sprintf("byte %d is not UTF-8", len(utf)+1)
				if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "in.csv") {
					t.Errorf("Next = %v, want an error naming in.csv and %q", err, want)
				}
				break
			}
			if rows != 2000 {
				t.Errorf("%d rows before the error, want 2000", rows)
			}
		})
	}
}

func TestCSVUTF16Refused(t *testing.T) {
	p := writeFile(t, "in.csv", []byte("\xff\xfen\x00a\x00"))
	_, err := Open(p, Options{})
	if err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Errorf("Open = %v, want a UTF-16 error", err)
	}
}

func TestCSVQuotingAndLines(t *testing.T) {
	data := "Name,BankCard,Phone,IdCard,Note\r\n" +
		"张伟,6222023416721109,16689915737,110101198503129492,\"two\r\nlines, and a \"\"quote\"\"\"\r\n" +
		"\r\n" +
		",,,,\r\n" +
		"  ,\t, ,\u3000,\r\n" +
		"张伟,6222023416721109,16689915737,110101198503129492,\"a, b\"\r\n"
	_, rows, blank := readAll(t, writeFile(t, "in.csv", []byte(data)), Options{})
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	if got, want := rows[0].Cells[4], "two\nlines, and a \"quote\""; got != want {
		t.Errorf("quoted cell = %q, want %q", got, want)
	}
	if got := rows[1].Cells[4]; got != "a, b" {
		t.Errorf("quoted comma cell = %q", got)
	}
	// Rows as Excel shows them: header 1, data 2, empty 3, commas 4, spaces 5, data 6.
	if rows[0].Line != 2 || rows[1].Line != 6 {
		t.Errorf("lines = %d, %d, want 2, 6", rows[0].Line, rows[1].Line)
	}
	if rows[0].Index != 0 || rows[1].Index != 1 {
		t.Errorf("indexes = %d, %d, want 0, 1", rows[0].Index, rows[1].Index)
	}
	if blank != 3 {
		t.Errorf("blank = %d, want 3", blank)
	}
}

func TestCSVBadQuote(t *testing.T) {
	data := "Name,BankCard,Phone,IdCard\n张\"伟,6222023416721109,16689915737,110101198503129492\n"
	r, err := Open(writeFile(t, "in.csv", []byte(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Next()
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "in.csv") {
		t.Errorf("Next = %v, want an error naming the file and line 2", err)
	}
}

func TestCellsPaddedAndCut(t *testing.T) {
	data := "Name,BankCard,Phone,IdCard,Note\n" +
		"张伟,6222023416721109,16689915737,110101198503129492\n" +
		"张伟,6222023416721109,16689915737,110101198503129492,n,extra\n"
	_, rows, _ := readAll(t, writeFile(t, "in.csv", []byte(data)), Options{})
	for i, row := range rows {
		if len(row.Cells) != 5 {
			t.Errorf("row %d: %d cells, want 5", i, len(row.Cells))
		}
	}
}

func TestHeaderPosition(t *testing.T) {
	const header = "姓名,卡号,手机,身份证\n"
	const data = "张伟,6222023416721109,16689915737,110101198503129492\n"
	titles := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("title row,,,\n\n")
		}
		return b.String()
	}
	tests := []struct {
		name     string
		file     string
		wantLine int
		err      bool
	}{
		{"first row", header + data, 2, false},
		{"below a title", "2026年11月开户核验名单,,,\n" + header + data, 3, false},
		{"below blank lines", "\n,,,\n" + header + data, 4, false},
		{"10th non-empty row", titles(9) + header + data, 20, false},
		{"11th non-empty row", titles(10) + header + data, 0, true},
		{"no header", data + data, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", []byte(tt.file))
			if tt.err {
				_, err := Open(p, Options{})
				if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), p) {
					t.Errorf("Open = %v, want ErrNoHeader naming the file", err)
				}
				if err != nil && strings.Contains(err.Error(), goodCard) {
					t.Errorf("error shows a card number: %v", err)
				}
				return
			}
			_, rows, _ := readAll(t, p, Options{})
			if len(rows) != 1 || rows[0].Line != tt.wantLine || rows[0].Fields != goodFields {
				t.Errorf("rows = %+v, want one at line %d", rows, tt.wantLine)
			}
		})
	}
}

func TestNoHeaderSaysWhatWasFound(t *testing.T) {
	p := writeFile(t, "in.csv", []byte("Name,Phone,Other\n"))
	_, err := Open(p, Options{})
	if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), "found: name, phone") {
		t.Errorf("Open = %v", err)
	}
}

func TestAliases(t *testing.T) {
	variants := func(a string) []string {
		return []string{a, strings.ToUpper(a), strings.ToLower(a), " " + a + " ", fullWidth(a)}
	}
	for field, list := range aliases {
		for _, alias := range list {
			for _, v := range variants(alias) {
				t.Run(field+"/"+v, func(t *testing.T) {
					m := newMatcher(nil)
					if got := m[headerKey(v)]; got != field {
						t.Errorf("%q matches %q, want %q", v, got, field)
					}
				})
			}
		}
	}
	for _, v := range []string{"bank_card", "Bank-Card", "BANK CARD", "id_card", "ID-No", "Id No", "cert_type", "ＩＤ　Ｃａｒｄ", "手机 号码"} {
		if newMatcher(nil)[headerKey(v)] == "" {
			t.Errorf("%q not recognised", v)
		}
	}
	if f := newMatcher(nil)[headerKey("Address")]; f != "" {
		t.Errorf("Address matches %q", f)
	}
}

// fullWidth returns s with ASCII letters, digits and spaces in full-width form.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '\u3000'
		case r > ' ' && r < 0x7f:
			return r - 0x21 + 0xff01
		}
		return r
	}, s)
}

func TestAliasesInFile(t *testing.T) {
	data := "客户姓名,银行账号,预留手机号,证件号码,证件类型,Branch\n张伟,6222023416721109,16689915737,110101198503129492,0,北京\n"
	h, rows, _ := readAll(t, writeFile(t, "in.csv", []byte(data)), Options{})
	want := batch.Header{Cells: []string{"客户姓名", "银行账号", "预留手机号", "证件号码", "证件类型", "Branch"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: 4}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if rows[0].Fields.CertType != "0" || rows[0].Problem != nil {
		t.Errorf("row = %+v", rows[0])
	}
}

func TestColumnOverride(t *testing.T) {
	data := "客户,账户,联系方式,Mobile,证件,Name\n张伟,6222023416721109,16689915737,13800000000,110101198503129492,other\n"
	p := writeFile(t, "in.csv", []byte(data))
	if _, err := Open(p, Options{}); !errors.Is(err, ErrNoHeader) {
		t.Fatalf("without --column: %v, want ErrNoHeader", err)
	}
	cols, err := ParseColumns([]string{"name=客户", "bankcard=账户", "phone=联系方式", "IDCARD = 证件 "})
	if err != nil {
		t.Fatal(err)
	}
	h, rows, _ := readAll(t, p, Options{Columns: cols})
	if h.Name != 0 || h.BankCard != 1 || h.Phone != 2 || h.IDCard != 4 {
		t.Errorf("header = %+v", h)
	}
	if rows[0].Fields != goodFields {
		t.Errorf("fields = %+v", rows[0].Fields)
	}
}

func TestParseColumns(t *testing.T) {
	tests := []struct {
		specs []string
		want  map[string]string
		err   string
	}{
		{[]string{"name=户名", "certtype=类型"}, map[string]string{"name": "户名", "certtype": "类型"}, ""},
		{[]string{"phone=Tel, mobile"}, map[string]string{"phone": "Tel, mobile"}, ""},
		{[]string{"email=Email"}, nil, "unknown field"},
		{[]string{"name"}, nil, "FIELD=HEADER"},
		{[]string{"name="}, nil, "FIELD=HEADER"},
		{[]string{"name=a", "name=b"}, nil, "twice"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.specs, " "), func(t *testing.T) {
			got, err := ParseColumns(tt.specs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoPrecheck(t *testing.T) {
	data := "Name,BankCard,Phone,IdCard\n李4,123,456,789\n"
	_, rows, _ := readAll(t, writeFile(t, "in.csv", []byte(data)), Options{NoPrecheck: true})
	if rows[0].Problem != nil {
		t.Errorf("problem = %v, want nil with NoPrecheck", rows[0].Problem)
	}
	_, rows, _ = readAll(t, writeFile(t, "in.csv", []byte(data)), Options{})
	if rows[0].Problem == nil || rows[0].Problem.Field != batch.FieldName {
		t.Errorf("problem = %v, want a name problem", rows[0].Problem)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file string
		data       []byte
		is         error
		text       string
	}{
		{"xls", "list.xls", []byte("\xd0\xcf\x11\xe0"), ErrFormat, "save it as .xlsx or .csv"},
		{"txt", "list.txt", []byte("a,b"), ErrFormat, ".xlsx or .csv"},
		{"xlsx that is not a zip", "list.xlsx", []byte("\xd0\xcf\x11\xe0 not a zip"), ErrFormat, "not an .xlsx"},
		{"missing", "missing.csv", nil, os.ErrNotExist, "missing.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dir + "/" + tt.file
			if tt.data != nil {
				if err := os.WriteFile(p, tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Open(p, Options{})
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("Open = %v, want %v naming the file and saying %q", err, tt.is, tt.text)
			}
		})
	}
}

// An empty file, or one of blank lines, says so instead of claiming to have
// found every column.
func TestEmptyFileSaysItIsEmpty(t *testing.T) {
	for name, data := range map[string]string{"empty": "", "blank lines": "\n,,\n\n"} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "in.csv", []byte(data))
			_, err := Open(p, Options{})
			if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), "no non-empty row") {
				t.Errorf("Open = %v", err)
			}
		})
	}
}

// SPEC 3: a line saved with another delimiter than the header's is an
// invalid row whose Error names the line and both delimiters, and no value.
func TestCSVLineWithAnotherDelimiter(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // in the Problem of the second data row
		clean      bool   // the second row is fine
	}{
		{name: "comma in a semicolon file",
			data: "Name;BankCard;Phone;IdCard\n张伟;6222023416721109;16689915737;110101198503129492\n张伟,6222023416721109,16689915737,110101198503129492\n",
			want: "line 3 is split by comma, the header by semicolon: 1 cell where 4 were expected"},
		{name: "semicolon in a comma file",
			data: "Name,BankCard,Phone,IdCard\n张伟,6222023416721109,16689915737,110101198503129492\n张伟;6222023416721109;16689915737;110101198503129492\n",
			want: "line 3 is split by semicolon, the header by comma"},
		{name: "tab in a comma file",
			data: "Name,BankCard,Phone,IdCard\n张伟,6222023416721109,16689915737,110101198503129492\n张伟\t6222023416721109\t16689915737\t110101198503129492\n",
			want: "split by tab, the header by comma"},
		{name: "a short row with no other delimiter",
			data: "Name,BankCard,Phone,IdCard\n张伟,6222023416721109,16689915737,110101198503129492\n张伟\n",
			want: "", clean: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pre := range []bool{false, true} {
				_, rows, _ := readAll(t, writeFile(t, "in.csv", []byte(tt.data)), Options{NoPrecheck: pre})
				if len(rows) != 2 {
					t.Fatalf("%d rows, want 2", len(rows))
				}
				if rows[0].Problem != nil {
					t.Errorf("first row: %v", rows[0].Problem)
				}
				p := rows[1].Problem
				if tt.clean {
					if p != nil && strings.Contains(p.Reason, "delimiter") {
						t.Errorf("a short row blamed on a delimiter: %v", p)
					}
					continue
				}
				if p == nil || !strings.Contains(p.Reason, tt.want) {
					t.Fatalf("no-precheck %v: problem %v, want one saying %q", pre, p, tt.want)
				}
				if strings.Contains(p.String(), "6222023416721109") || strings.Contains(p.String(), "张伟") {
					t.Errorf("the Error holds a value: %v", p)
				}
				if Category(p) != p.Field+": another delimiter" {
					t.Errorf("category %q", Category(p))
				}
			}
		})
	}
}

// utf8Checker passes valid UTF-8 through unchanged however its source cuts
// the characters, and stops at the first byte that is not UTF-8, having
// passed on exactly the bytes before it.
func TestUTF8Checker(t *testing.T) {
	valid := []byte(strings.Repeat("张伟,a€😀\n", 300))
	readAll := func(src io.Reader) ([]byte, error) {
		var out []byte
		buf := make([]byte, 7) // the checker's smallest reads cut characters too
		c := &utf8Checker{r: src}
		for {
			n, err := c.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return out, err
			}
		}
	}
	for name, src := range map[string]func([]byte) io.Reader{
		"one byte a read": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half reads":      func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"whole":           func(b []byte) io.Reader { return bytes.NewReader(b) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readAll(src(valid))
			if err != nil || !bytes.Equal(got, valid) {
				t.Fatalf("valid text: %d of %d bytes, %v", len(got), len(valid), err)
			}
			bad := append(append([]byte{}, valid...), 0xd5, 0xc5, '\n') // 张 in GBK
			got, err = readAll(src(bad))
			var mixed *errMixedEncoding
			if !errors.As(err, &mixed) || mixed.offset != int64(len(valid)) || !bytes.Equal(got, valid) {
				t.Errorf("GBK after UTF-8: %d bytes passed, %v; want %d and the byte at %d named", len(got), err, len(valid), len(valid))
			}
			cut := append(append([]byte{}, valid...), "张"[:2]...)
			if _, err := readAll(src(cut)); !errors.As(err, &mixed) || mixed.offset != int64(len(valid)) {
				t.Errorf("a character cut by the end of the file: %v", err)
			}
		})
	}
}
