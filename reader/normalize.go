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
//   - idcard: spaces dropped, x becomes X;
//   - certtype: a label of the resident ID card (0, 01, 身份证, 居民身份证,
//     二代身份证, ID card, any case and spacing) becomes "0".
//
// Normalize is idempotent: Normalize(f, Normalize(f, v)) == Normalize(f, v).
// An unknown field gets only NFKC and trimming.
func Normalize(field, value string) string {
	if isASCII(value) {
		return normalizeASCII(field, value) // ASCII in, ASCII out: one pass is stable
	}
	if field == batch.FieldName && plainName(value) {
		return value
	}
	// Dropping characters can bring a combining mark next to a new base
	// character, which NFKC would then compose: while the field's own step
	// changes the text, normalise again, so that normalising twice changes
	// nothing.
	for i := 0; i < 8; i++ {
		trimmed := strings.TrimFunc(norm.NFKC.String(value), isTrimmable)
		value = fieldStep(field, trimmed)
		if value == trimmed || isASCII(value) {
			break
		}
	}
	return value
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// normalizeASCII is Normalize for ASCII values, byte by byte.
func normalizeASCII(field, v string) string {
	i, j := 0, len(v)
	for i < j && asciiSpace[v[i]] {
		i++
	}
	for j > i && asciiSpace[v[j-1]] {
		j--
	}
	v = v[i:j]
	switch field {
	case batch.FieldName:
		for k := 0; k < len(v); k++ {
			if asciiSpace[v[k]] && (v[k] != ' ' || asciiSpace[v[k+1]]) {
				return normalizeName(v)
			}
		}
	case batch.FieldBankCard:
		return dropBytes(v, &cardDrop)
	case batch.FieldPhone:
		return normalizePhone(v)
	case batch.FieldIDCard:
		return dropBytes(v, &idDrop)
	case batch.FieldCertType:
		return normalizeCertType(v)
	}
	return v
}

// idCardLabels are the certtype values that mean the resident ID card, in
// the form of headerKey (SPEC section 4).
var idCardLabels = map[string]bool{"0": true, "01": true, "身份证": true, "居民身份证": true, "二代身份证": true, "idcard": true}

// normalizeCertType writes a label of the resident ID card as "0", the
// value sent; any other value is kept for the check to refuse.
func normalizeCertType(v string) string {
	if v != "0" && idCardLabels[headerKey(v)] {
		return "0"
	}
	return v
}

// Bytes that dropBytes drops (or, for 'x', makes upper case) in card and
// ID numbers.
var (
	cardDrop = [256]bool{'-': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
	idDrop   = [256]bool{'x': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
)

// dropBytes returns v without the bytes marked in drop, except that 'x'
// becomes 'X' (only idDrop marks it).
func dropBytes(v string, drop *[256]bool) string {
	k := 0
	for k < len(v) && !drop[v[k]] {
		k++
	}
	if k == len(v) {
		return v
	}
	b := make([]byte, k, len(v))
	copy(b, v[:k])
	for ; k < len(v); k++ {
		switch c := v[k]; {
		case !drop[c]:
			b = append(b, c)
		case c == 'x':
			b = append(b, 'X')
		}
	}
	return string(b)
}

// fieldStep is the step of Normalize particular to field, on NFKC text
// without white space at either end.
func fieldStep(field, v string) string {
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
	case batch.FieldCertType:
		return normalizeCertType(v)
	}
	return v
}

// plainName reports whether name is already normal and needs no work: only
// CJK unified ideographs (which NFKC leaves alone), ASCII letters, single
// inner spaces and U+00B7. It is the common case, and cheap to check.
func plainName(name string) bool {
	prev := ' ' // so that a leading space is refused
	for _, r := range name {
		switch {
		case r >= 0x4e00 && r <= 0x9fff, r == '·', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r == ' ' && prev != ' ':
		default:
			return false
		}
		prev = r
	}
	return prev != ' '
}

// isTrimmable reports white space and the invisible characters that stick
// to copied values (zero-width space, BOM).
func isTrimmable(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if word(s[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
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
