package writer

import (
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// resultWidths are the widths of the result columns, in characters: wide
// enough for every Status and Verdict, a Result code, a UTC time and a
// RequestId (a 36-character UUID) in full; Description and Error wrap.
var resultWidths = [len(resultColumns)]float64{
	colStatus:      14, // "not attempted"
	colVerdict:     13, // "card problem"
	colResult:      8,
	colDescription: 30,
	colCharged:     9,
	colAnsweredAt:  20, // "2026-12-02 01:02:03"
	colRequestID:   38,
	colError:       40,
}

// Widths of the input columns the reader recognised, in characters: an
// identifier is shown in full, spaces or a +86 included.
const (
	widthBankCard = 24 // 19 digits with spaces: "6222 0212 3456 7890 123"
	widthIDCard   = 21 // 18 characters
	widthPhone    = 18 // "+86 139 1234 5678"
	widthName     = 14
	widthCertType = 10
	widthOther    = 12 // any other column, unless its header is wider
	widthMax      = 40 // a column with a long header wraps it beyond this
)

// columnWidths are the widths of the Results columns: the input columns
// (by what they hold, or their header), then resultWidths. The sheet is
// streamed, so the widths are set before any row is seen: from the kind
// of each column, not from its values.
func columnWidths(h batch.Header) []float64 {
	w := make([]float64, 0, len(h.Cells)+len(resultColumns))
	for i, name := range h.Cells {
		wd := float64(textWidth(name) + 3) // room for the autofilter button
		switch i {
		case h.BankCard:
			wd = max(wd, widthBankCard)
		case h.IDCard:
			wd = max(wd, widthIDCard)
		case h.Phone:
			wd = max(wd, widthPhone)
		case h.Name:
			wd = max(wd, widthName)
		case h.CertType:
			wd = max(wd, widthCertType)
		default:
			wd = max(wd, widthOther)
		}
		w = append(w, min(wd, widthMax))
	}
	for i, wd := range resultWidths {
		w = append(w, max(wd, float64(len(resultColumns[i])+3)))
	}
	return w
}

// textWidth is the width of s in columns: a CJK or other wide character
// counts two.
func textWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r >= 0x1100 && (r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 ||
			r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F || r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
