package job

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ParsePrice reads --price: nil when not given.
func ParsePrice(s string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return nil, fmt.Errorf("--price %q: want a number such as 0.5", s)
	}
	return &v, nil
}

// ParseCurrency reads --currency: letters only, so that it cannot carry
// anything else into the report and the Summary sheet.
func ParseCurrency(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 8 {
		return "", fmt.Errorf("--currency %q: want a short code such as CNY or USD", s)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && r != '$' && r != '¥' && r != '€' {
			return "", fmt.Errorf("--currency %q: want a short code such as CNY or USD", s)
		}
	}
	return s, nil
}
