package writer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Mask hides most of a personal value for the output sheet (--mask). field
// is one of batch.FieldName, FieldBankCard, FieldPhone, FieldIDCard; any
// other field is returned unchanged.
//
// A bank card or ID number keeps its first 6 and last 4 characters
// (622202******1234), a phone its first 3 and last 4 (138****8000), a name
// its first character followed by one * per further character (张*, W***).
// Spaces and dashes inside a card or ID are dropped first; a phone keeps
// only its digits, without a leading 86 or 0086. A value too
// short to keep anything while hiding the rest becomes all *; an empty value
// stays empty.
func Mask(field, value string) string {
	switch field {
	case batch.FieldBankCard, batch.FieldIDCard:
		return maskKeep(compact(value), 6, 4)
	case batch.FieldPhone:
		return maskKeep(phoneDigits(value), 3, 4)
	case batch.FieldName:
		return maskKeep(strings.TrimSpace(value), 1, 0)
	default:
		return value
	}
}

// compact drops white space and dashes from an identifier.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
}

// phoneDigits keeps the digits of a phone number and drops a leading 86 or
// 0086 country code from a mainland mobile number, as the reader does.
func phoneDigits(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		return d[2:]
	}
	if len(d) == 15 && strings.HasPrefix(d, "0086") {
		return d[4:]
	}
	return d
}

// maskKeep keeps the first head and last tail runes of s and replaces the
// rest with one * each. When nothing would be hidden, every rune becomes *.
func maskKeep(s string, head, tail int) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	if n <= head+tail {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, r := range s {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}
