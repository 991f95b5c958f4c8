package reader

import (
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
