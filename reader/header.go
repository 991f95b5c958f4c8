package reader

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/bankcard4e/bankcard4e/batch"
)

// aliases are the header names of SPEC section 3, per field.
var aliases = map[string][]string{
	batch.FieldName:     {"Name", "姓名", "户名", "持卡人", "持卡人姓名", "客户姓名"},
	batch.FieldBankCard: {"BankCard", "Bank Card", "CardNo", "Card", "银行卡号", "银行卡", "卡号", "银行账号"},
	batch.FieldPhone:    {"Phone", "Mobile", "手机号", "手机号码", "预留手机号", "手机", "电话"},
	batch.FieldIDCard:   {"IdCard", "ID Card", "IdNo", "身份证号", "身份证号码", "身份证", "证件号码", "证件号"},
	batch.FieldCertType: {"CertType", "证件类型"},
}

// fieldOrder lists the fields; the first four are required.
var fieldOrder = [...]string{batch.FieldName, batch.FieldBankCard, batch.FieldPhone, batch.FieldIDCard, batch.FieldCertType}

// headerKey is the form in which header texts are compared: NFKC (full-width
// forms become ASCII), lower case, without white space, '_' and '-'.
func headerKey(s string) string {
	if !isASCII(s) {
		s = norm.NFKC.String(s)
	}
	s = strings.ToLower(s)
	return dropFunc(s, func(r rune) bool { return r == '_' || r == '-' || isTrimmable(r) })
}

// matcher maps header keys to fields, from the aliases and the --column
// overrides.
type matcher map[string]string

func newMatcher(columns map[string]string) matcher {
	m := matcher{}
	for _, field := range fieldOrder {
		if h, ok := columns[field]; ok {
			m[headerKey(h)] = field
			continue
		}
	}
	for _, field := range fieldOrder {
		if _, ok := columns[field]; ok {
			continue // an override replaces the aliases of its field
		}
		for _, a := range aliases[field] {
			if k := headerKey(a); m[k] == "" {
				m[k] = field
			}
		}
	}
	return m
}

// match returns the header for cells, and whether all four required fields
// were found. When a field matches more than one column, the first wins.
func (m matcher) match(cells []string) (batch.Header, bool) {
	h := batch.Header{Name: -1, BankCard: -1, Phone: -1, IDCard: -1, CertType: -1}
	for i, c := range cells {
		if c == "" {
			continue
		}
		var p *int
		switch m[headerKey(c)] {
		case batch.FieldName:
			p = &h.Name
		case batch.FieldBankCard:
			p = &h.BankCard
		case batch.FieldPhone:
			p = &h.Phone
		case batch.FieldIDCard:
			p = &h.IDCard
		case batch.FieldCertType:
			p = &h.CertType
		}
		if p != nil && *p < 0 {
			*p = i
		}
	}
	return h, h.Name >= 0 && h.BankCard >= 0 && h.Phone >= 0 && h.IDCard >= 0
}

// found lists the fields the header h recognised, for error messages.
func found(h batch.Header) []string {
	var out []string
	for i, col := range [...]int{h.Name, h.BankCard, h.Phone, h.IDCard, h.CertType} {
		if col >= 0 {
			out = append(out, fieldOrder[i])
		}
	}
	return out
}

// ParseColumns parses --column FIELD=HEADER options into a map from field
// name to header text. Field names are those of SPEC section 2: name,
// bankcard, phone, idcard and certtype.
func ParseColumns(specs []string) (map[string]string, error) {
	out := make(map[string]string, len(specs))
	for _, s := range specs {
		field, header, ok := strings.Cut(s, "=")
		field = strings.ToLower(strings.TrimSpace(field))
		header = strings.TrimSpace(header)
		if !ok || field == "" || header == "" {
			return nil, fmt.Errorf("--column %q: want FIELD=HEADER", s)
		}
		if _, known := aliases[field]; !known {
			return nil, fmt.Errorf("--column %q: unknown field %q (want name, bankcard, phone, idcard or certtype)", s, field)
		}
		if _, dup := out[field]; dup {
			return nil, fmt.Errorf("--column %q: field %q given twice", s, field)
		}
		out[field] = header
	}
	return out, nil
}

// duplicates lists, for the header cells of a recognised header, the fields
// that more than one column matches, and which column was taken (the
// first).
func (m matcher) duplicates(cells []string) []string {
	first := map[string]int{}
	var notes []string
	for i, c := range cells {
		if c == "" {
			continue
		}
		f := m[headerKey(c)]
		if f == "" {
			continue
		}
		if j, ok := first[f]; ok {
			notes = append(notes, fmt.Sprintf("columns %q (%s) and %q (%s) both match %s: took %q (%s); the other is copied as an extra column (name one with --column %s=HEADER)",
				cells[j], columnName(j), c, columnName(i), f, cells[j], columnName(j), f))
			continue
		}
		first[f] = i
	}
	return notes
}

// columnName is the spreadsheet letter of 0-based column i.
func columnName(i int) string {
	n := cellName(i+1, 0)
	return n[:len(n)-1]
}

// missingOverride returns an error naming the --column overrides whose
// header is not among cells (the row that came closest to a header), with
// the headers that are there.
//
// The row is listed only when it matched some field (so it is the header
// row, not a customer's), and never a cell with six digits or more, which
// could be a card, phone or ID number.
func (m matcher) missingOverride(cells []string, columns map[string]string) error {
	have := map[string]bool{}
	var list []string
	h, _ := m.match(cells)
	header := len(found(h)) > 0
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			have[headerKey(c)] = true
			if header && countDigits(c) < 6 {
				list = append(list, strconv.Quote(c))
			}
		}
	}
	if len(list) == 0 {
		list = []string{"none recognised in the first 10 non-empty rows"}
	}
	for _, f := range fieldOrder {
		h, ok := columns[f]
		if !ok || have[headerKey(h)] {
			continue
		}
		return fmt.Errorf("--column %s=%s: no column %q in the file (headers: %s)", f, h, h, strings.Join(list, ", "))
	}
	return nil
}

// missing lists the required fields the header h lacks.
func missing(h batch.Header) []string {
	var out []string
	for i, col := range [...]int{h.Name, h.BankCard, h.Phone, h.IDCard} {
		if col < 0 {
			out = append(out, fieldOrder[i])
		}
	}
	return out
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			n++
		}
	}
	return n
}
