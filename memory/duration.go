package memory

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses the durations of --retain, --reuse-within and
// --older-than: a Go duration ("12h", "90m", "0"), or a number of days
// with a d suffix ("90d", "1.5d"), optionally followed by a Go duration
// ("1d12h"). Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("duration %q: must not be negative", s)
	}
	var days time.Duration
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		n, err := strconv.ParseFloat(in[:i], 64)
		if err != nil || strings.Trim(in[:i], "0123456789.") != "" {
			return 0, fmt.Errorf("duration %q: want e.g. 90d, 12h or 1d12h", s)
		}
		d := n * float64(24*time.Hour)
		if d >= math.MaxInt64 {
			return 0, fmt.Errorf("duration %q: too long", s)
		}
		days, in = time.Duration(d), in[i+1:]
		if in == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(in)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: want e.g. 90d, 12h or 1d12h", s)
	}
	if days > math.MaxInt64-d {
		return 0, fmt.Errorf("duration %q: too long", s)
	}
	return days + d, nil
}
