package reader

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// fieldPieces are what the random values of TestCheckRowFast are made of:
// ASCII and full-width digits, the spaces Normalize trims or drops (ASCII,
// U+3000, NBSP, zero-width, BOM), control characters, invalid UTF-8, the
// separators of cards and phones, check characters in every width, letters,
// CJK, middle dots and a combining mark.
var fieldPieces = []string{
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "86", "0086", "13", "19", "12",
	"０", "１", "９", "８６",
	" ", "  ", "\t", "\n", "\r", "\v", "\f", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u0085",
	"\x00", "\x01", "\x1f", "\x7f", "\u0080", "\u009f",
	"\xff", "\xc3", "\xe4\xb8", "\xed\xa0\x80",
	"-", "－", "+", "(", ")", ".", "_", "/", ":", "\xb0", "\xb9", "\xba",
	"x", "X", "ｘ", "Ｘ",
	"a", "Z", "Wei", "ID card", "身份证", "01",
	"张", "伟", "买买提", "·", "•", "・", "\u0301", "e\u0301", "Ⅻ", "①", "٣",
}

// randomValue is a value of 0 to about 70 bytes of random pieces.
func randomValue(rnd *rand.Rand) string {
	var b strings.Builder
	for n := rnd.IntN(25); b.Len() < 75 && n > 0; n-- {
		b.WriteString(fieldPieces[rnd.IntN(len(fieldPieces))])
	}
	return b.String()
}

// randomDigits is n random ASCII digits.
func randomDigits(rnd *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rnd.IntN(10))
	}
	return string(b)
}

// randomID is an ID of a random birth date around 1900 and today, most
// often with its right check character.
func randomID(rnd *rand.Rand) string {
	year := []int{1899, 1900, 1987, 2000, 2026, 2027}[rnd.IntN(6)]
	first := fmt.Sprintf("110101%04d%02d%02d%s", year, rnd.IntN(14), rnd.IntN(33), randomDigits(rnd, 3))
	if rnd.IntN(4) == 0 {
		return first + string("0123456789Xx"[rnd.IntN(12)])
	}
	return first + string(IDCheckChar(first))
}

// nearValue is a value close to a valid one of field, for the edges of the
// fast paths: the valid value, then a few random pieces put in, over or
// taken out.
func nearValue(rnd *rand.Rand, field string) string {
	var v string
	switch field {
	case batch.FieldName:
		v = []string{"张伟", "Wei Xiaobao", "买买提·艾力", "王芳", strings.Repeat("张", 21), strings.Repeat("张", 22), strings.Repeat("ab", 32), strings.Repeat("ab", 32) + "c"}[rnd.IntN(8)]
	case batch.FieldBankCard:
		v = randomDigits(rnd, 10+rnd.IntN(12))
		if rnd.IntN(3) == 0 {
			v = v[:4] + " " + v[4:]
		}
		if rnd.IntN(20) == 0 {
			v = randomDigits(rnd, 60+rnd.IntN(8))
		}
	case batch.FieldPhone:
		v = []string{"", "+86 ", "86", "0086", "0086 ", "+86-", "(", "1"}[rnd.IntN(8)] + "1" + randomDigits(rnd, 9+rnd.IntN(3))
	case batch.FieldIDCard:
		v = randomID(rnd)
		if rnd.IntN(10) == 0 {
			v = v[:15]
		}
	case batch.FieldCertType:
		v = []string{"", "0", "01", "00", "1", "身份证", " 0 ", "ID card", "x"}[rnd.IntN(9)]
	}
	for n := rnd.IntN(4); n > 0; n-- {
		p := fieldPieces[rnd.IntN(len(fieldPieces))]
		at := rnd.IntN(len(v) + 1)
		switch rnd.IntN(3) {
		case 0:
			v = v[:at] + p + v[at:]
		case 1:
			v = v[:at] + p + v[min(len(v), at+len(p)):]
		default:
			v = v[:at] + v[min(len(v), at+1+rnd.IntN(3)):]
		}
	}
	return v
}

// todayN is today as check takes it.
var todayN = dateNumber(today)

// slowRow is the general path checkRow must agree with.
func slowRow(h *batch.Header, cells []string, today int) (batch.Fields, *batch.Problem) {
	f := normalizeRow(h, cells)
	return f, check(f, today)
}

// TestCheckRowFast compares checkRow, with its one-pass paths for clean
// fields, with normalising each field and then checking the row, over
// valid values, near-valid ones and random hostile ones, in rows with and
// without a cert type column and rows short of cells: the fields and the
// problem (its field and reason) must be the same.
func TestCheckRowFast(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	fields := fieldOrder[:]
	headers := []batch.Header{
		{Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1},
		{Name: 4, BankCard: 3, Phone: 2, IDCard: 1, CertType: 0},
		{Name: 1, BankCard: 2, Phone: 3, IDCard: 4, CertType: 6}, // cert type beyond the row's cells
	}
	for _, day := range []int{todayN, 20000101, 20261130} {
		for iter := 0; iter < 100000; iter++ {
			cells := make([]string, 5)
			for i, field := range fields {
				switch rnd.IntN(4) {
				case 0:
					cells[i] = randomValue(rnd)
				case 1:
					cells[i] = nearValue(rnd, fields[rnd.IntN(len(fields))])
				default:
					cells[i] = nearValue(rnd, field)
				}
			}
			h := headers[iter%len(headers)]
			// The header's columns hold the values made for their fields.
			row := make([]string, 5)
			for i, col := range []int{h.Name, h.BankCard, h.Phone, h.IDCard, h.CertType} {
				if col >= 0 && col < len(row) {
					row[col] = cells[i]
				}
			}
			row = row[:rnd.IntN(6)] // a short row lacks some cells
			gotF, gotP := checkRow(&h, row, day)
			wantF, wantP := slowRow(&h, row, day)
			if gotF != wantF || gotP.String() != wantP.String() || (gotP == nil) != (wantP == nil) {
				t.Fatalf("today %d, header %+v, cells %q:\n got %+q, %v\nwant %+q, %v", day, h, row, gotF, gotP, wantF, wantP)
			}
		}
	}
}

// TestFieldFastPaths compares each field's one-pass path with Normalize and
// the checks on one value at a time, on every value of fieldPieces alone
// and in pairs, and on random and near-valid values.
func TestFieldFastPaths(t *testing.T) {
	type fast func(v string) (norm, text, own string)
	paths := map[string]fast{
		batch.FieldName:     nameField,
		batch.FieldBankCard: cardField,
		batch.FieldPhone:    phoneField,
		batch.FieldIDCard:   func(v string) (string, string, string) { return idField(v, todayN) },
		batch.FieldCertType: certField,
	}
	compare := func(field, v string) {
		t.Helper()
		n, x, o := paths[field](v)
		wn, wx, wo := slowField(field, v, todayN)
		if n != wn || x != wx || o != wo {
			t.Fatalf("%s %q: got %q, %q, %q; want %q, %q, %q", field, v, n, x, o, wn, wx, wo)
		}
		// slowField is what check says of the normalised value.
		f := batch.Fields{Name: "张伟", BankCard: goodCard, Phone: goodPhone, IDCard: goodID}
		switch field {
		case batch.FieldName:
			f.Name = wn
		case batch.FieldBankCard:
			f.BankCard = wn
		case batch.FieldPhone:
			f.Phone = wn
		case batch.FieldIDCard:
			f.IDCard = wn
		case batch.FieldCertType:
			f.CertType = wn
		}
		want := wx // the other fields are valid
		if want == "" {
			want = wo
		}
		got := ""
		if p := check(f, todayN); p != nil {
			got = p.Reason
		}
		if got != want {
			t.Fatalf("%s %q: slowField reasons %q, %q; check says %q", field, v, wx, wo, got)
		}
	}
	rnd := rand.New(rand.NewPCG(13, 14))
	for _, field := range fieldOrder {
		for _, a := range fieldPieces {
			compare(field, a)
			for _, b := range fieldPieces {
				compare(field, a+b)
			}
		}
		for iter := 0; iter < 50000; iter++ {
			compare(field, randomValue(rnd))
			compare(field, nearValue(rnd, field))
		}
	}
}

// TestCheckRowNoAllocWhenClean: clean rows, and the usual messy phone
// ("+86 1…", whose digits end the value), cost no allocation.
func TestCheckRowNoAllocWhenClean(t *testing.T) {
	h := batch.Header{Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: 4}
	rows := [][]string{
		{"Wei Xiaobao", goodCard, goodPhone, goodID, ""},
		{"张伟", goodCard, "+86 " + goodPhone, goodID, "0"},
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, cells := range rows {
			if _, p := checkRow(&h, cells, todayN); p != nil {
				t.Fatal(p)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations for clean rows, want 0", allocs)
	}
}

// TestDigitsRun compares digitsRun with a byte loop on runs of digits of
// every length from 8 to 40 with one byte of each value at each place.
func TestDigitsRun(t *testing.T) {
	for n := 8; n <= 40; n++ {
		base := []byte(strings.Repeat("0123456789", 4))[:n]
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base...)
				b[at] = byte(c)
				want := true
				for _, x := range b {
					want = want && x >= '0' && x <= '9'
				}
				if got := digitsRun(string(b)); got != want {
					t.Fatalf("digitsRun(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
