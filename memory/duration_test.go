package memory

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseDuration: no panic, never negative, and without a d it agrees
// with time.ParseDuration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "12h", "1d12h", "0", "1.5d", "-1d", "NaNd", "200000d", "1d+5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if !strings.Contains(s, "d") {
			if want, err := time.ParseDuration(strings.TrimSpace(s)); err != nil || want != d {
				t.Fatalf("ParseDuration(%q) = %v; time.ParseDuration = %v, %v", s, d, want, err)
			}
		}
	})
}
