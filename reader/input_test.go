package reader

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankcard4e/bankcard4e/batch"
)

const (
	goodLine = "张伟,6222023416721109,16689915737,110101198503129492"
	bom      = "\xef\xbb\xbf"
)

func TestCSVDelimitersLineEndsEncodings(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		delim rune
		enc   string
		input string
	}{
		{"comma lf", []byte("Name,BankCard,Phone,IdCard,Note\n" + goodLine + ",n\n"), ',', "UTF-8", "header row 1"},
		{"semicolon", []byte("Name;BankCard;Phone;IdCard;Note\n" + strings.ReplaceAll(goodLine, ",", ";") + ";n\n"), ';', "UTF-8", "header row 1, delimiter semicolon"},
		{"semicolon with commas in a title", []byte("Liste, Januar\nName;BankCard;Phone;IdCard;Note\n" + strings.ReplaceAll(goodLine, ",", ";") + ";n\n"), ';', "UTF-8", "header row 2, delimiter semicolon"},
		{"tab", []byte("Name\tBankCard\tPhone\tIdCard\tNote\n" + strings.ReplaceAll(goodLine, ",", "\t") + "\tn\n"), '\t', "UTF-8", "header row 1, delimiter tab"},
		{"cr only", []byte("Name,BankCard,Phone,IdCard,Note\r" + goodLine + ",n\r"), ',', "UTF-8", "header row 1"},
		{"cr only bom semicolon", []byte(bom + "Name;BankCard;Phone;IdCard;Note\r" + strings.ReplaceAll(goodLine, ",", ";") + ";n\r"), ';', "UTF-8", "header row 1, delimiter semicolon"},
		{"gbk tab crlf", gbk(t, "姓名\t卡号\t手机\t身份证\t备注\r\n"+strings.ReplaceAll(goodLine, ",", "\t")+"\tn\r\n"), '\t', "GB18030", "header row 1, delimiter tab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "in.csv", tt.data)
			r, err := Open(p, Options{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			in := r.Input()
			row, err := r.Next()
			r.Close()
			if err != nil || row.Fields != goodFields || row.Cells[4] != "n" || row.Problem != nil {
				t.Errorf("row %+v, %v", row, err)
			}
			if in.Delimiter != tt.delim || in.Encoding != tt.enc || in.String() != tt.input {
				t.Errorf("Input = %+v (%s), want delimiter %q, %s, %q", in, in, tt.delim, tt.enc, tt.input)
			}
		})
	}
}

func TestCSVRefusals(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		atOpen bool   // refused by Open, else by Next
		want   string // in the message
		not    string // never in the message
	}{
		{"bom then a gbk line", append([]byte(bom+"Name,BankCard,Phone,IdCard\n"+goodLine+"\n"), gbk(t, "王芳,6222023416721109,16689915737,110101198503129492\n")...), false, "line 3: not valid UTF-8", ""},
		{"utf-16 le bom", []byte("\xff\xfeN\x00a\x00"), true, "save it as \"CSV UTF-8", ""},
		{"utf-16 le without bom", []byte("N\x00a\x00m\x00e\x00,\x00B\x00\n\x00"), true, "UTF-16", ""},
		{"utf-16 be without bom", []byte("\x00N\x00a\x00m\x00e\x00,\x00B\x00\n"), true, "UTF-16", ""},
		{"xlsx renamed", append([]byte("PK\x03\x04\x14\x00\x00\x00"), make([]byte, 64)...), true, "an .xlsx workbook renamed .csv", `bare "`},
		{"xls renamed", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 64)...), true, "Excel 97-2003", `bare "`},
		{"binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\"\""), true, "binary data, not CSV", `bare "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(writeFile(t, "in.csv", tt.data), Options{Now: fixedNow})
			if err == nil {
				for err == nil {
					_, err = r.Next()
				}
				r.Close()
				if tt.atOpen {
					t.Errorf("Open succeeded; want it refused")
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestHeaderRowOption(t *testing.T) {
	csv := "Name,BankCard,Phone,IdCard\n" + goodLine + "\n\nName,BankCard,Phone,IdCard,Note\n王芳,6222023416721109,16689915737,110101198503129492,n\n"
	p := writeFile(t, "in.csv", []byte(csv))
	x := handXLSX(t, []handSheet{{"Data", "", handHeader + `<row r="2">` + inline("A2", "张伟") + inline("B2", goodCard) + inline("C2", goodPhone) + inline("D2", goodID) + `</row>` +
		`<row r="5"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c></row>` +
		`<row r="6">` + inline("A6", "王芳") + inline("B6", goodCard) + inline("C6", goodPhone) + inline("D6", goodID) + `</row>`}}, "", handSST, "")
	tests := []struct {
		path    string
		row     int
		first   string
		wantErr string
	}{
		{p, 0, "张伟", ""},
		{p, 1, "张伟", ""},
		{p, 4, "王芳", ""},
		{p, 2, "", "row 2 (--header-row) lacks"},
		{p, 3, "", "row 3 (--header-row) is empty"},
		{p, 9, "", "no row 9"},
		{x, 5, "王芳", ""},
		{x, 3, "", "row 3 (--header-row) is empty"},
		{p, -1, "", "want a row number"},
	}
	for _, tt := range tests {
		r, err := Open(tt.path, Options{HeaderRow: tt.row, Now: fixedNow})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tt.row > 0 && !errors.Is(err, ErrNoHeader) {
				t.Errorf("--header-row %d: %v, want %q", tt.row, err, tt.wantErr)
			}
			if err == nil {
				r.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("--header-row %d: %v", tt.row, err)
			continue
		}
		row, err := r.Next()
		in := r.Input()
		r.Close()
		want := max(tt.row, 1)
		if err != nil || row.Fields.Name != tt.first || in.HeaderRow != want {
			t.Errorf("--header-row %d: first row %q, header row %d, %v; want %q, %d", tt.row, row.Fields.Name, in.HeaderRow, err, tt.first, want)
		}
	}
}

func TestHeaderMessages(t *testing.T) {
	p := writeFile(t, "in.csv", []byte("客户,卡号,手机,身份证号,证件号码\n"+goodLine+",x\n"))
	t.Run("--column header not in the file", func(t *testing.T) {
		_, err := Open(p, Options{Columns: map[string]string{batch.FieldName: "持卡人名"}})
		for _, want := range []string{`--column name=持卡人名: no column "持卡人名"`, `"客户", "卡号", "手机", "身份证号", "证件号码"`} {
			if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), want) {
				t.Errorf("Open = %v, want %q", err, want)
			}
		}
	})
	t.Run("no header: no customer's values in the message", func(t *testing.T) {
		q := writeFile(t, "in.csv", []byte(goodLine+"\n"))
		_, err := Open(q, Options{Columns: map[string]string{batch.FieldName: "持卡人名"}})
		if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), "持卡人名") {
			t.Errorf("Open = %v", err)
		}
		for _, v := range []string{goodName, goodCard, goodPhone, goodID} {
			if err != nil && strings.Contains(err.Error(), v) {
				t.Errorf("Open = %v: holds %q", err, v)
			}
		}
	})
	t.Run("two columns match one field", func(t *testing.T) {
		r, err := Open(p, Options{Columns: map[string]string{batch.FieldName: "客户"}, Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		want := []string{`columns "身份证号" (D) and "证件号码" (E) both match idcard: took "身份证号" (D); the other is copied as an extra column (name one with --column idcard=HEADER)`}
		if diff := cmp.Diff(want, r.Input().Notes); diff != "" {
			t.Errorf("notes (-want +got):\n%s", diff)
		}
		if r.Header().IDCard != 3 {
			t.Errorf("idcard column %d, want 3", r.Header().IDCard)
		}
	})
}

func TestCertTypeAndFieldText(t *testing.T) {
	long := strings.Repeat("张", 65)
	tests := []struct {
		cert, name string
		wantCert   string
		problem    string
	}{
		{"", "张伟", "", ""},
		{"0", "张伟", "0", ""},
		{"01", "张伟", "0", ""},
		{"身份证", "张伟", "0", ""},
		{" 居民身份证 ", "张伟", "0", ""},
		{"二代身份证", "张伟", "0", ""},
		{"ID card", "张伟", "0", ""},
		{"id CARD", "张伟", "0", ""},
		{"ＩＤ　Ｃａｒｄ", "张伟", "0", ""},
		{"1", "张伟", "1", "certtype: unsupported"},
		{"护照", "张伟", "护照", "certtype: unsupported"},
		{"身份\x00证", "张伟", "身份\x00证", "certtype: contains a control character"},
		{"", "张\x7f伟", "", "name: contains a control character"},
		{"", long, "", "name: too long"},
		{"", strings.Repeat("张", 64), "", ""},
	}
	for _, tt := range tests {
		f := goodFields
		f.Name = Normalize(batch.FieldName, tt.name)
		f.CertType = Normalize(batch.FieldCertType, tt.cert)
		if f.CertType != tt.wantCert {
			t.Errorf("Normalize(certtype, %q) = %q, want %q", tt.cert, f.CertType, tt.wantCert)
		}
		if got := Category(Check(f, today)); got != tt.problem {
			t.Errorf("certtype %q name %q: %q, want %q", tt.cert, tt.name, got, tt.problem)
		}
	}
}
