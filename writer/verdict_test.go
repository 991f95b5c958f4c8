package writer

import (
	"math"
	"strconv"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Every verdict has its own colour and a meaning, and black text on each
// colour meets WCAG AA (4.5:1).
func TestVerdictPalette(t *testing.T) {
	if n := len(batch.Verdicts); n != numVerdicts {
		t.Fatalf("%d fills and meanings for %d verdicts", numVerdicts, n)
	}
	seen := map[string]bool{}
	for i, fill := range verdictFills {
		v := batch.Verdicts[i]
		if seen[fill] {
			t.Errorf("%s: colour %s used twice", v, fill)
		}
		seen[fill] = true
		if verdictMeanings[i] == "" {
			t.Errorf("%s: no meaning for the legend", v)
		}
		// WCAG 2 contrast of black (luminance 0) on the fill.
		if c := (luminance(t, fill) + 0.05) / 0.05; c < 4.5 {
			t.Errorf("%s: black on %s has contrast %.2f:1, want at least 4.5:1", v, fill, c)
		}
		if got := verdictIndex(v); got != i {
			t.Errorf("verdictIndex(%s) = %d, want %d", v, got, i)
		}
	}
}

// luminance is the WCAG 2 relative luminance of a #RRGGBB colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #RRGGBB", hex)
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		n, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(n) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
