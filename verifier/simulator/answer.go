package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"
	"unicode"

	"github.com/bankcard4e/bankcard4e/batch"
)

// mix is the stable spread of answers for people not in the registry: a
// hash of the four fields picks one, weighted roughly like real traffic
// (mostly passes and mismatches). -18 is absent: only the Busy fault gives it.
var mix = []struct {
	code   string
	weight int
}{
	{"0", 40}, {"-1", 10}, {"-6", 12}, {"-7", 3}, {"-8", 2}, {"-9", 3}, {"-10", 2},
	{"-11", 2}, {"-12", 2}, {"-13", 3}, {"-14", 3}, {"-15", 2}, {"-16", 2},
	{"-17", 3}, {"-19", 3}, {"-20", 2}, {"-21", 6},
}

// answerFor is the deterministic Result for four fields (SPEC section 9):
// format errors first (-2 name, -3 ID, -4 card, -5 phone; a 15-digit
// first-generation ID gets -20), then the registry (all four match: 0;
// name and ID match: -6), then the stable mix. today bounds ID birth dates.
func (s *Simulator) answerFor(f batch.Fields, today time.Time) string {
	switch {
	case !validName(f.Name):
		return "-2"
	case isDigits(f.IDCard) && len(f.IDCard) == 15:
		return "-20"
	case !validID(f.IDCard, today):
		return "-3"
	case !isDigits(f.BankCard) || len(f.BankCard) < 12 || len(f.BankCard) > 19:
		return "-4"
	case !validPhone(f.Phone):
		return "-5"
	}
	if r, ok := s.registry[regKey(f.Name, f.IDCard)]; ok {
		if r.card == f.BankCard && r.phone == f.Phone {
			return "0"
		}
		return "-6"
	}
	h := sha256.New()
	for _, v := range []string{f.Name, f.BankCard, f.Phone, f.IDCard} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	pick := int(binary.BigEndian.Uint64(h.Sum(nil)) % uint64(total))
	for _, m := range mix {
		if pick < m.weight {
			return m.code
		}
		pick -= m.weight
	}
	return "0" // not reached
}

// validName: not empty, no digits.
func validName(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsDigit)
}

// validPhone: 1[3-9] then 9 digits.
func validPhone(s string) bool {
	return len(s) == 11 && isDigits(s) && s[0] == '1' && s[1] >= '3'
}

// validID: 17 digits and a check character (digit or X) by ISO 7064
// MOD 11-2, with a real birth date between 1900 and today.
func validID(s string, today time.Time) bool {
	if len(s) != 18 || !isDigits(s[:17]) {
		return false
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(today) {
		return false
	}
	return s[17] == checkChar(s[:17])
}

// checkChar is the ISO 7064 MOD 11-2 check character of 17 digits.
func checkChar(d string) byte {
	sum := 0
	w := 1
	for i := 16; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(d[i]-'0') * w
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
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
