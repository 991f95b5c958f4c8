package reader

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Reasons shared by more than one field or used by the reader. A reason is
// short, names no value, and may end in a detail in parentheses; Category
// drops that detail to group rows by kind of problem.
const (
	reasonEmpty   = "empty"
	reasonNumeric = "stored as a number, and Excel keeps only 15 significant digits (format the column as Text and re-enter it)"
)

// Check runs the local checks of SPEC section 4 on normalised fields, in the
// order name, bankcard, phone, idcard, certtype, and returns the first
// failure, or nil when the row may be sent. now is "today" for the birth date.
func Check(f batch.Fields, now time.Time) *batch.Problem {
	return check(f, dateNumber(now))
}

// dateNumber is t's date as the number yyyymmdd, to compare with a birth date.
func dateNumber(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// check is Check with today as a dateNumber, computed once per file.
func check(f batch.Fields, today int) *batch.Problem {
	for _, v := range [...]struct{ field, value string }{
		{batch.FieldName, f.Name}, {batch.FieldBankCard, f.BankCard}, {batch.FieldPhone, f.Phone},
		{batch.FieldIDCard, f.IDCard}, {batch.FieldCertType, f.CertType},
	} {
		if r := checkText(v.value); r != "" {
			return &batch.Problem{Field: v.field, Reason: r}
		}
	}
	if r := checkName(f.Name); r != "" {
		return &batch.Problem{Field: batch.FieldName, Reason: r}
	}
	if r := checkBankCard(f.BankCard); r != "" {
		return &batch.Problem{Field: batch.FieldBankCard, Reason: r}
	}
	if r := checkPhone(f.Phone); r != "" {
		return &batch.Problem{Field: batch.FieldPhone, Reason: r}
	}
	if r := checkIDCard(f.IDCard, today); r != "" {
		return &batch.Problem{Field: batch.FieldIDCard, Reason: r}
	}
	if r := checkCertType(f.CertType); r != "" {
		return &batch.Problem{Field: batch.FieldCertType, Reason: r}
	}
	return nil
}

// checkCertType refuses a cert type other than the resident ID card.
func checkCertType(s string) string {
	if s != "" && s != "0" {
		return "unsupported (only the resident ID card: empty, 0, 01, 身份证, 居民身份证, 二代身份证 or ID card)"
	}
	return ""
}

// maxFieldChars is the longest a field may be, in characters.
const maxFieldChars = 64

// checkText refuses a value with a control character (U+0000–U+001F,
// U+007F) or longer than maxFieldChars, whatever its field.
func checkText(s string) string {
	if hasControl(s) {
		return "contains a control character"
	}
	if len(s) > maxFieldChars && utf8.RuneCountInString(s) > maxFieldChars {
		return fmt.Sprintf("too long (more than %d characters)", maxFieldChars)
	}
	return ""
}

// hasControl reports whether s holds a byte under 0x20 or 0x7f (an ASCII
// control character: no byte of a multi-byte UTF-8 character is one). It
// looks at eight bytes at a time: a field is checked in a few steps.
func hasControl(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := word(s[i:])
		y := x ^ 0x7f7f7f7f7f7f7f7f // 0x7f bytes become 0
		// A byte under 0x20 of x, or a zero byte of y, borrows into its
		// high bit where that bit was clear.
		if ((x-0x2020202020202020)&^x|(y-0x0101010101010101)&^y)&0x8080808080808080 != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// word is the first eight bytes of s, little-endian: one load.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Category is the problem without the detail in parentheses at the end of
// its reason, e.g. "idcard: wrong check character": the key by which check
// groups invalid rows.
func Category(p *batch.Problem) string {
	if p == nil {
		return ""
	}
	r := p.Reason
	if i := strings.Index(r, " ("); i >= 0 && strings.HasSuffix(r, ")") {
		r = r[:i]
	}
	return p.Field + ": " + r
}

func checkName(s string) string {
	if s == "" {
		return reasonEmpty
	}
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 0x80 && !(r >= 0x4e00 && r <= 0x9fff) && unicode.IsDigit(r) {
			return "contains a digit"
		}
	}
	return ""
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkBankCard(s string) string {
	switch {
	case s == "":
		return reasonEmpty
	case !allDigits(s):
		return "not all digits"
	case len(s) < 12 || len(s) > 19:
		return fmt.Sprintf("wrong length (%d digits, want 12 to 19)", len(s))
	}
	return ""
}

func checkPhone(s string) string {
	switch {
	case s == "":
		return reasonEmpty
	case len(s) != 11:
		return fmt.Sprintf("wrong length (%d digits, want 11)", len(s))
	case s[0] != '1' || s[1] < '3':
		return "not a mainland mobile number (want 13 to 19 then 9 digits)"
	}
	return ""
}

// idWeights are the ISO 7064 MOD 11-2 weights of the first 17 characters.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// IDCheckChar returns the ISO 7064 MOD 11-2 check character of the first 17
// digits of a resident ID number.
func IDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// idCheckChars is the check character of each sum of the weighted digits,
// modulo 11.
const idCheckChars = "10X98765432"

func checkIDCard(s string, today int) string {
	switch {
	case s == "":
		return reasonEmpty
	case len(s) == 15 && allDigits(s):
		return "first-generation 15-digit ID (only second-generation 18-character IDs are supported)"
	case len(s) != 18:
		return fmt.Sprintf("wrong length (%d characters, want 18)", len(s))
	case !allDigits(s[:17]) || !(s[17] == 'X' || s[17] >= '0' && s[17] <= '9'):
		return "bad characters (want 17 digits and a digit or X)"
	}
	return checkIDDate(s, IDCheckChar(s), today)
}

// checkIDDate is the rest of checkIDCard, for an ID of 17 digits and a
// digit or X whose check character should be want: the birth date, then
// the check character.
func checkIDDate(s string, want byte, today int) string {
	y, m, d := atoi(s[6:10]), atoi(s[10:12]), atoi(s[12:14])
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return "birth date is not a real date"
	}
	if y < 1900 {
		return "birth date before 1900"
	}
	if y*10000+m*100+d > today {
		return "birth date in the future"
	}
	if s[17] != want {
		return fmt.Sprintf("wrong check character (is %c, want %c)", s[17], want)
	}
	return ""
}

// daysIn returns the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
