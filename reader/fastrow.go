package reader

import "github.com/bankcard4e/bankcard4e/batch"

// checkRow returns what normalizeRow and then check return for a row's
// cells under header h, in one go: each field is normalised and checked
// in a single pass over its bytes when it is in the common, clean form (a
// plain name, an 18-character ID of digits, a card and a phone of digits,
// an empty or "0" cert type), and by Normalize and the checks otherwise.
// The outcome is the same either way, byte for byte (TestCheckRowFast):
// the fast forms are the values on which Normalize changes nothing and the
// checks' answer follows from the one pass.
func checkRow(h *batch.Header, cells []string, today int) (batch.Fields, *batch.Problem) {
	var f batch.Fields
	// check reports the first field whose text fails (a control character,
	// too long), in field order, and only then the first whose own check
	// fails: each field's two answers are kept apart to keep that order.
	var text, own [len(fieldOrder)]string
	f.Name, text[0], own[0] = nameField(cellAt(cells, h.Name))
	f.BankCard, text[1], own[1] = cardField(cellAt(cells, h.BankCard))
	f.Phone, text[2], own[2] = phoneField(cellAt(cells, h.Phone))
	f.IDCard, text[3], own[3] = idField(cellAt(cells, h.IDCard), today)
	if h.CertType >= 0 {
		f.CertType, text[4], own[4] = certField(cellAt(cells, h.CertType))
	}
	for _, reasons := range [...]*[len(fieldOrder)]string{&text, &own} {
		for i, r := range reasons {
			if r != "" {
				return f, &batch.Problem{Field: fieldOrder[i], Reason: r}
			}
		}
	}
	return f, nil
}

// cellAt is cells[col], or "" when the row has no such cell.
func cellAt(cells []string, col int) string {
	if col < 0 || col >= len(cells) {
		return ""
	}
	return cells[col]
}

// slowField is the general path of the fields' fast paths: v normalised
// for field, the reason checkText gives for it, and the reason of the
// field's own check.
func slowField(field, v string, today int) (norm, text, own string) {
	norm = Normalize(field, v)
	return norm, checkText(norm), checkOwn(field, norm, today)
}

// checkOwn is the check particular to field, on its normalised value.
func checkOwn(field, v string, today int) string {
	switch field {
	case batch.FieldName:
		return checkName(v)
	case batch.FieldBankCard:
		return checkBankCard(v)
	case batch.FieldPhone:
		return checkPhone(v)
	case batch.FieldIDCard:
		return checkIDCard(v, today)
	case batch.FieldCertType:
		return checkCertType(v)
	}
	return ""
}

// nameField: a plain name (plainName: CJK ideographs, ASCII letters,
// U+00B7, single inner spaces) is already normal, holds no control
// character and no digit; at most maxFieldChars bytes, it is not too long.
func nameField(v string) (norm, text, own string) {
	if len(v) <= maxFieldChars && plainName(v) {
		return v, "", ""
	}
	return slowField(batch.FieldName, v, 0)
}

// cardField: ASCII digits are normal and have no control character; with
// ASCII spaces or '-' among them, dropping those is all Normalize does.
func cardField(v string) (norm, text, own string) {
	if len(v) > maxFieldChars {
		return slowField(batch.FieldBankCard, v, 0)
	}
	if len(v) >= 12 && len(v) <= 19 && digitsRun(v) {
		return v, "", ""
	}
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c-'0' > 9 {
			if !cardDrop[c] {
				return slowField(batch.FieldBankCard, v, 0)
			}
			clean = false
		}
	}
	if clean && len(v) >= 12 && len(v) <= 19 {
		return v, "", ""
	}
	if !clean {
		v = dropBytes(v, &cardDrop)
	}
	return v, "", checkBankCard(v)
}

// phoneField: of an ASCII value, Normalize keeps only the digits (and then
// drops an 86 or 0086 prefix); digits hold no control character.
func phoneField(v string) (norm, text, own string) {
	if len(v) == 11 && digitsRun(v) {
		return v, "", checkPhone(v)
	}
	if len(v) > maxFieldChars || !isASCII(v) {
		return slowField(batch.FieldPhone, v, 0)
	}
	var buf [maxFieldChars]byte
	d := buf[:0]
	for i := 0; i < len(v); i++ {
		if c := v[i]; c-'0' <= 9 {
			d = append(d, c)
		}
	}
	switch {
	case len(d) == 13 && string(d[:2]) == "86":
		d = d[2:]
	case len(d) == 15 && string(d[:4]) == "0086":
		d = d[4:]
	}
	// The digits kept are most often the end of the value ("+86 1…"):
	// that substring saves a copy.
	if n := len(v) - len(d); string(d) == v[n:] {
		norm = v[n:]
	} else {
		norm = string(d)
	}
	return norm, "", checkPhone(norm)
}

// idField: 17 ASCII digits and a digit or X are a normal ID with no control
// character; the check character is summed on the way.
func idField(v string, today int) (norm, text, own string) {
	if len(v) != 18 || !digitsRun(v[:17]) {
		return slowField(batch.FieldIDCard, v, today)
	}
	// The sum of IDCheckChar, written out: constant weights, and adds
	// that do not wait on one another.
	d := func(i int) int { return int(v[i] - '0') }
	sum := (d(0)*7 + d(1)*9 + d(2)*10 + d(3)*5) + (d(4)*8 + d(5)*4 + d(6)*2 + d(7)*1) +
		(d(8)*6 + d(9)*3 + d(10)*7 + d(11)*9) + (d(12)*10 + d(13)*5 + d(14)*8 + d(15)*4) + d(16)*2
	if c := v[17]; c != 'X' && c-'0' > 9 {
		return slowField(batch.FieldIDCard, v, today)
	}
	return v, "", checkIDDate(v, idCheckChars[sum%11], today)
}

// certField: "" and "0" are normal and valid.
func certField(v string) (norm, text, own string) {
	if v == "" || v == "0" {
		return v, "", ""
	}
	return slowField(batch.FieldCertType, v, 0)
}

// digitsRun reports whether s, of 8 bytes or more, is all ASCII digits,
// eight bytes at a time (the last eight overlapping the others when the
// length is not a multiple of eight).
func digitsRun(s string) bool {
	n := len(s)
	for i := 0; i+8 <= n; i += 8 {
		if !digits8(word(s[i:])) {
			return false
		}
	}
	return n%8 == 0 || digits8(word(s[n-8:]))
}

// digits8 reports whether the eight bytes of x are all ASCII digits. Each
// byte is worked on apart: no borrow or carry crosses into the next.
func digits8(x uint64) bool {
	const high = 0x8080808080808080
	atLeast0 := (x | high) - 0x3030303030303030 // high bit kept where the low 7 bits are >= '0'
	over9 := (x &^ high) + 0x4646464646464646   // high bit set where they are > '9'
	return ^x&atLeast0&^over9&high == high      // and the byte is ASCII
}
