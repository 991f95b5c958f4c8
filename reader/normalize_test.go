package reader

import (
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		field, in, want string
	}{
		// Every field: NFKC and trimming of all white space.
		{batch.FieldName, " \t张伟\u3000\u00a0", "张伟"},
		{batch.FieldName, "\ufeff张伟\u200b", "张伟"},
		{batch.FieldName, "Ｗｅｉ", "Wei"},
		{batch.FieldCertType, " ０ ", "0"},
		// name: runs of spaces become one; middle dots become U+00B7.
		{batch.FieldName, "Wei   Xiao\t\u3000bao", "Wei Xiao bao"},
		{batch.FieldName, "买买提•艾力", "买买提·艾力"},
		{batch.FieldName, "买买提‧艾力", "买买提·艾力"},
		{batch.FieldName, "买买提・艾力", "买买提·艾力"},
		{batch.FieldName, "买买提･艾力", "买买提·艾力"},
		{batch.FieldName, "买买提·艾力", "买买提·艾力"},
		// bankcard: spaces and '-' dropped, full-width digits made ASCII.
		{batch.FieldBankCard, "6222 0234-1672 1109", goodCard},
		{batch.FieldBankCard, "６２２２０２３４１６７２１１０９", goodCard},
		{batch.FieldBankCard, "6222\u30000234\u00a016721109", goodCard},
		{batch.FieldBankCard, "6222－0234－1672－1109", goodCard}, // full-width hyphen
		// phone: only digits; 86 and 0086 prefixes.
		{batch.FieldPhone, "+86 166-8991-5737", goodPhone},
		{batch.FieldPhone, "0086 16689915737", goodPhone},
		{batch.FieldPhone, "8616689915737", goodPhone},
		{batch.FieldPhone, "(166) 8991 5737", goodPhone},
		{batch.FieldPhone, "１６６８９９１５７３７", goodPhone},
		{batch.FieldPhone, "86166899157", "86166899157"},     // 11 digits: no prefix to drop
		{batch.FieldPhone, "008616689915737", goodPhone},     // 0086 + 11
		{batch.FieldPhone, "0861668991573", "0861668991573"}, // neither form
		// idcard: spaces dropped, x → X.
		{batch.FieldIDCard, "320102 19870919 640x", "32010219870919640X"},
		{batch.FieldIDCard, "32010219870919640ｘ", "32010219870919640X"},
		{batch.FieldIDCard, " 110101198503129492 ", goodID},
	}
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.in, func(t *testing.T) {
			got := Normalize(tt.field, tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%s, %q) = %q, want %q", tt.field, tt.in, got, tt.want)
			}
			if again := Normalize(tt.field, got); again != got {
				t.Errorf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestNormalizeNoAllocWhenClean(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		Normalize(batch.FieldName, "Wei Xiaobao")
		Normalize(batch.FieldBankCard, goodCard)
		Normalize(batch.FieldPhone, goodPhone)
		Normalize(batch.FieldIDCard, goodID)
	})
	if allocs != 0 {
		t.Errorf("%v allocations for clean ASCII values, want 0", allocs)
	}
}
