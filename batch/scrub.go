package batch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// scrubMin is the shortest run of digits ScrubDigits masks: shorter than
// any phone (11), card (12–19) or ID (15, 18) number, longer than the
// numbers service text carries (result codes, HTTP statuses, ports).
const scrubMin = 6

// ScrubDigits masks every run of six or more decimal digits in s, ASCII or
// full-width (or any other Unicode decimal digit), replacing each digit of
// the run by '*'; shorter runs and every other character stay. Service
// text (Description, Error.Message) passes through it before it is kept
// anywhere, so an answer that echoes the request cannot leak an ID, card
// or phone number. It is safe for concurrent use and returns s itself when
// there is nothing to mask.
func ScrubDigits(s string) string {
	if !hasLongRun(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j, count := i, 0
		for j < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsDigit(r2) {
				break
			}
			j += n2
			count++
		}
		if count >= scrubMin {
			b.WriteString(strings.Repeat("*", count))
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

// hasLongRun reports whether s holds a run of scrubMin or more digits.
func hasLongRun(s string) bool {
	run := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			if run >= scrubMin {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
