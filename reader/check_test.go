package reader

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestCheck(t *testing.T) {
	with := func(f func(*batch.Fields)) batch.Fields {
		x := goodFields
		f(&x)
		return x
	}
	tests := []struct {
		name   string
		fields batch.Fields
		want   *batch.Problem // nil: valid
	}{
		{"valid", goodFields, nil},
		{"valid X check char", with(func(f *batch.Fields) { f.IDCard = "32010219870919640X" }), nil},
		{"valid certtype 0", with(func(f *batch.Fields) { f.CertType = "0" }), nil},
		{"valid name with dot", with(func(f *batch.Fields) { f.Name = "买买提·艾力" }), nil},
		{"valid 12-digit card", with(func(f *batch.Fields) { f.BankCard = "622202341672" }), nil},
		{"valid 19-digit card failing Luhn", with(func(f *batch.Fields) { f.BankCard = "6222023416721109001" }), nil},
		{"valid born today", with(func(f *batch.Fields) { f.IDCard = "11010120261129" + "001" + string(IDCheckChar("11010120261129001")) }), nil},
		{"valid born 1900-01-01", with(func(f *batch.Fields) { f.IDCard = "11010119000101" + "001" + string(IDCheckChar("11010119000101001")) }), nil},

		{"name empty", with(func(f *batch.Fields) { f.Name = "" }), &batch.Problem{Field: "name", Reason: "empty"}},
		{"name digit", with(func(f *batch.Fields) { f.Name = "张3" }), &batch.Problem{Field: "name", Reason: "contains a digit"}},
		{"card empty", with(func(f *batch.Fields) { f.BankCard = "" }), &batch.Problem{Field: "bankcard", Reason: "empty"}},
		{"card letters", with(func(f *batch.Fields) { f.BankCard = "6222O23416721109" }), &batch.Problem{Field: "bankcard", Reason: "not all digits"}},
		{"card 11 digits", with(func(f *batch.Fields) { f.BankCard = "62220234167" }), &batch.Problem{Field: "bankcard", Reason: "wrong length (11 digits, want 12 to 19)"}},
		{"card 20 digits", with(func(f *batch.Fields) { f.BankCard = "62220234167211090012" }), &batch.Problem{Field: "bankcard", Reason: "wrong length (20 digits, want 12 to 19)"}},
		{"phone empty", with(func(f *batch.Fields) { f.Phone = "" }), &batch.Problem{Field: "phone", Reason: "empty"}},
		{"phone short", with(func(f *batch.Fields) { f.Phone = "1668991573" }), &batch.Problem{Field: "phone", Reason: "wrong length (10 digits, want 11)"}},
		{"phone 12x", with(func(f *batch.Fields) { f.Phone = "12689915737" }), &batch.Problem{Field: "phone", Reason: "not a mainland mobile number (want 13 to 19 then 9 digits)"}},
		{"phone 2x", with(func(f *batch.Fields) { f.Phone = "26689915737" }), &batch.Problem{Field: "phone", Reason: "not a mainland mobile number (want 13 to 19 then 9 digits)"}},
		{"id empty", with(func(f *batch.Fields) { f.IDCard = "" }), &batch.Problem{Field: "idcard", Reason: "empty"}},
		{"id 15 digits", with(func(f *batch.Fields) { f.IDCard = "110101850312949" }), &batch.Problem{Field: "idcard", Reason: "first-generation 15-digit ID (only second-generation 18-character IDs are supported)"}},
		{"id 17 chars", with(func(f *batch.Fields) { f.IDCard = "11010119850312949" }), &batch.Problem{Field: "idcard", Reason: "wrong length (17 characters, want 18)"}},
		{"id letter inside", with(func(f *batch.Fields) { f.IDCard = "1101011985031294X2" }), &batch.Problem{Field: "idcard", Reason: "bad characters (want 17 digits and a digit or X)"}},
		{"id 30 February", with(func(f *batch.Fields) { f.IDCard = "110101199002301234" }), &batch.Problem{Field: "idcard", Reason: "birth date is not a real date"}},
		{"id month 13", with(func(f *batch.Fields) { f.IDCard = "110101199013011234" }), &batch.Problem{Field: "idcard", Reason: "birth date is not a real date"}},
		{"id day 0", with(func(f *batch.Fields) { f.IDCard = "110101199001001234" }), &batch.Problem{Field: "idcard", Reason: "birth date is not a real date"}},
		{"id 1899", with(func(f *batch.Fields) { f.IDCard = "110101189912311234" }), &batch.Problem{Field: "idcard", Reason: "birth date before 1900"}},
		{"id tomorrow", with(func(f *batch.Fields) { f.IDCard = "110101202611301234" }), &batch.Problem{Field: "idcard", Reason: "birth date in the future"}},
		{"id check char", with(func(f *batch.Fields) { f.IDCard = "110101198503129493" }), &batch.Problem{Field: "idcard", Reason: "wrong check character (is 3, want 2)"}},
		{"id check char X", with(func(f *batch.Fields) { f.IDCard = "320102198709196403" }), &batch.Problem{Field: "idcard", Reason: "wrong check character (is 3, want X)"}},
		{"certtype 1", with(func(f *batch.Fields) { f.CertType = "1" }), &batch.Problem{Field: "certtype", Reason: "unsupported (only the resident ID card: empty, 0, 01, 身份证, 居民身份证, 二代身份证 or ID card)"}},
		{"first failing field wins", batch.Fields{Phone: "1"}, &batch.Problem{Field: "name", Reason: "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.fields, today)
			if got.String() != tt.want.String() {
				t.Errorf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCategory(t *testing.T) {
	tests := map[string]*batch.Problem{
		"idcard: wrong check character": {Field: "idcard", Reason: "wrong check character (is 3, want X)"},
		"name: empty":                   {Field: "name", Reason: "empty"},
		"bankcard: wrong length":        {Field: "bankcard", Reason: "wrong length (11 digits, want 12 to 19)"},
		"idcard: stored as a number, and Excel keeps only 15 significant digits": {Field: "idcard", Reason: reasonNumeric},
	}
	for want, p := range tests {
		if got := Category(p); got != want {
			t.Errorf("Category(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestIDCheckChar(t *testing.T) {
	// Registry IDs of the simulator, checked by hand.
	for _, id := range []string{"110101198503129492", "32010219870919640X", "440305198811052637", "120101200001024991"} {
		if got := IDCheckChar(id); got != id[17] {
			t.Errorf("IDCheckChar(%s…) = %c, want %c", id[:6], got, id[17])
		}
	}
}

// TestHasControlAndIsASCII compares the eight-bytes-at-a-time scans with a
// byte loop, on strings of every length up to 40 with one byte of each
// value at each place, over printable, CJK and mixed backgrounds.
func TestHasControlAndIsASCII(t *testing.T) {
	for _, bg := range []string{"a", "~", " ", "张", "\u0080", "\xff"} {
		for n := 0; n <= 40; n++ {
			base := []byte(strings.Repeat(bg, n))[:n]
			for at := 0; at < max(n, 1); at++ {
				for c := 0; c < 256; c++ {
					b := slices.Clone(base)
					if n > 0 {
						b[at] = byte(c)
					}
					checkScans(t, string(b))
				}
			}
		}
	}
	// Random strings of the bytes next to the bounds, where a borrow
	// between bytes could mislead a word-wide test.
	edge := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 'a'}
	rnd := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 200000; iter++ {
		b := make([]byte, rnd.IntN(33))
		for i := range b {
			b[i] = edge[rnd.IntN(len(edge))]
		}
		checkScans(t, string(b))
	}
}

// checkScans compares hasControl and isASCII on s with byte loops.
func checkScans(t *testing.T, s string) {
	t.Helper()
	ctl, ascii := false, true
	for i := 0; i < len(s); i++ {
		ctl = ctl || s[i] < 0x20 || s[i] == 0x7f
		ascii = ascii && s[i] < 0x80
	}
	if hasControl(s) != ctl || isASCII(s) != ascii {
		t.Fatalf("%q: hasControl %v, isASCII %v; want %v, %v", s, hasControl(s), isASCII(s), ctl, ascii)
	}
}
