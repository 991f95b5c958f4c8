package writer

import (
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		field, in, want string
	}{
		{batch.FieldBankCard, "6222021234561234", "622202******1234"},
		{batch.FieldBankCard, "6222021234567891234", "622202*********1234"},
		{batch.FieldBankCard, "6222 0212-3456 1234", "622202******1234"},
		{batch.FieldBankCard, "62220212345", "622202*2345"},
		{batch.FieldBankCard, "6222021234", "**********"}, // nothing left to hide
		{batch.FieldBankCard, "1234", "****"},
		{batch.FieldBankCard, "", ""},
		{batch.FieldIDCard, "110101199003071234", "110101********1234"},
		{batch.FieldIDCard, "11010119900307123X", "110101********123X"},
		{batch.FieldIDCard, "110101900307123", "110101*****7123"}, // 15 digits
		{batch.FieldIDCard, "1101011234", "**********"},
		{batch.FieldPhone, "13800138000", "138****8000"},
		{batch.FieldPhone, "+86 138-0013-8000", "138****8000"},
		{batch.FieldPhone, "008613800138000", "138****8000"},
		{batch.FieldPhone, "12345678", "123*5678"},
		{batch.FieldPhone, "1234567", "*******"},
		{batch.FieldPhone, "138", "***"},
		{batch.FieldName, "张三", "张*"},
		{batch.FieldName, "欧阳娜娜", "欧***"},
		{batch.FieldName, "Wang", "W***"},
		{batch.FieldName, " 李 ", "*"}, // one character: nothing can be shown
		{batch.FieldName, "阿卜杜·热合曼", "阿******"},
		{batch.FieldName, "", ""},
		{batch.FieldCertType, "0", "0"},
		{"remark", "6222021234561234", "6222021234561234"},
	} {
		t.Run(tc.field+"/"+tc.in, func(t *testing.T) {
			if got := Mask(tc.field, tc.in); got != tc.want {
				t.Errorf("Mask(%q, %q) = %q, want %q", tc.field, tc.in, got, tc.want)
			}
		})
	}
}
