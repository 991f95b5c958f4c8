package reader

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Normalize returns value normalised for field (one of the batch.Field*
// names), as SPEC section 4 says: Unicode NFKC, white space trimmed, and then
//   - name: runs of white space become one space, middle-dot variants become
//     U+00B7;
//   - bankcard: spaces and '-' dropped;
//   - phone: only digits kept, then 86 or 0086 followed by 11 digits become
//     the 11 digits;
//   - idcard: spaces dropped, x becomes X.
//
// Normalize is idempotent: Normalize(f, Normalize(f, v)) == Normalize(f, v).
// An unknown field gets only NFKC and trimming.
func Normalize(field, value string) string {
	// Dropping characters can bring a combining mark next to a new base
	// character, which NFKC would then compose: repeat until stable so that
	// normalising twice changes nothing. ASCII input settles in one pass.
	for i := 0; i < 8; i++ {
		next := normalizeOnce(field, value)
		if next == value {
			break
		}
		value = next
	}
	return value
}

func normalizeOnce(field, v string) string {
	if !isASCII(v) {
		v = norm.NFKC.String(v)
	}
	v = strings.TrimFunc(v, isTrimmable)
	switch field {
	case batch.FieldName:
		return normalizeName(v)
	case batch.FieldBankCard:
		return dropFunc(v, func(r rune) bool { return r == '-' || isTrimmable(r) })
	case batch.FieldPhone:
		return normalizePhone(v)
	case batch.FieldIDCard:
		v = dropFunc(v, isTrimmable)
		if strings.IndexByte(v, 'x') >= 0 {
			v = strings.ReplaceAll(v, "x", "X")
		}
		return v
	}
	return v
}

// isTrimmable reports white space and the invisible characters that stick
// to copied values (zero-width space, BOM).
func isTrimmable(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// dropFunc returns s without the runes for which drop is true, without
// allocating when there are none.
func dropFunc(s string, drop func(rune) bool) string {
	if strings.IndexFunc(s, drop) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !drop(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isMiddleDot reports the middle-dot variants of SPEC section 4 (and U+00B7
// itself, so that the result is stable).
func isMiddleDot(r rune) bool {
	switch r {
	case '·', '•', '‧', '・', '･':
		return true
	}
	return false
}

func normalizeName(s string) string {
	clean := true
	prevSpace := false
	for _, r := range s {
		sp := isTrimmable(r)
		if (sp && (r != ' ' || prevSpace)) || (isMiddleDot(r) && r != '·') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace = false
	for _, r := range s {
		switch {
		case isTrimmable(r):
			if !prevSpace {
				b.WriteByte(' ')
			}
			prevSpace = true
			continue
		case isMiddleDot(r):
			r = '·'
		}
		prevSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

func normalizePhone(s string) string {
	digits := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
	}
	if !digits {
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				b = append(b, s[i])
			}
		}
		s = string(b)
	}
	switch {
	case len(s) == 13 && s[:2] == "86":
		return s[2:]
	case len(s) == 15 && s[:4] == "0086":
		return s[4:]
	}
	return s
}
