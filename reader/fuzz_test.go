package reader

import (
	"errors"
	"io"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " 张伟 ", "Wei   Xiao\u3000bao", "买买提•艾力", "６２２２ ０２３４-1672", "+86 138-0013-8000",
		"0086 13800138000", "32010219870919640x", "e-\u0301", " \u0301", "\u00a8", "ｘ", "\xff\xfe", "8686138001380001"} {
		f.Add(s)
	}
	fields := []string{batch.FieldName, batch.FieldBankCard, batch.FieldPhone, batch.FieldIDCard, batch.FieldCertType}
	f.Fuzz(func(t *testing.T, s string) {
		for _, field := range fields {
			once := Normalize(field, s)
			if twice := Normalize(field, once); twice != once {
				t.Errorf("Normalize(%s) not idempotent: %q → %q → %q", field, s, once, twice)
			}
		}
		f := batch.Fields{
			Name:     Normalize(batch.FieldName, s),
			BankCard: Normalize(batch.FieldBankCard, s),
			Phone:    Normalize(batch.FieldPhone, s),
			IDCard:   Normalize(batch.FieldIDCard, s),
			CertType: Normalize(batch.FieldCertType, s),
		}
		Check(f, today) // must not panic
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("Name,BankCard,Phone,IdCard\n张伟,6222023416721109,16689915737,110101198503129492\n"))
	f.Add([]byte("\xef\xbb\xbftitle\r\n\r\n姓名,卡号,手机,身份证,备注\r\n\"a\r\nb\",1,2,3,\"x,y\"\r\n,,,,\r\n"))
	f.Add(gbk(f, "姓名,银行卡号,预留手机号,身份证号\n张伟,6222 0234,+86 166,11010119850312949x\n"))
	f.Add([]byte("Name,BankCard,Phone,IdCard\n\"unterminated,1,2,3\n"))
	f.Add([]byte("Name,BankCard,Phone,IdCard\na\"b,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := writeFile(t, "fuzz.csv", data)
		r, err := Open(p, Options{Now: fixedNow})
		if err != nil {
			if !errors.Is(err, ErrNoHeader) && !errors.Is(err, errUTF16) {
				// Any other open error is a parse error of the header area.
				t.Logf("open: %v", err)
			}
			return
		}
		defer r.Close()
		h := r.Header()
		last := 0
		for i := 0; ; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return
			}
			if row.Index != i || len(row.Cells) != len(h.Cells) || row.Line <= last {
				t.Fatalf("row %d: index %d, %d cells (header %d), line %d after %d", i, row.Index, len(row.Cells), len(h.Cells), row.Line, last)
			}
			last = row.Line
			if row.Fields.Name != Normalize(batch.FieldName, row.Cells[h.Name]) {
				t.Fatalf("row %d: name not normalised", i)
			}
		}
		if r.Blank() < 0 {
			t.Fatalf("blank = %d", r.Blank())
		}
	})
}
