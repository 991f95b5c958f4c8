package reader

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// serialDate writes the serial number of a date-formatted cell as ISO 8601:
// 2024-01-31, 2024-01-31T13:45:00 when it has a time of day, 13:45:00 for a
// time alone (a serial below 1). Serials count days from 1899-12-30 (the
// 1900 date system, whose serial 60 is Excel's fictitious 1900-02-29) or
// from 1904-01-01. A serial outside the years 1900 to 9999 is not a date and
// is kept as stored.
func serialDate(v string, date1904 bool) (string, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f >= 2958466 || math.IsNaN(f) {
		return "", false
	}
	days := math.Floor(f)
	secs := int64(math.Round((f - days) * 86400))
	if secs == 86400 {
		days, secs = days+1, 0
	}
	clock := time.Duration(secs) * time.Second
	if days == 0 && !date1904 {
		return fmtClock(clock), true
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return withClock("1900-02-29", clock), true
	case days < 60:
		base = base.AddDate(0, 0, 1) // before Excel's fictitious leap day
	}
	d := base.AddDate(0, 0, int(days))
	return withClock(d.Format("2006-01-02"), clock), true
}

func withClock(date string, clock time.Duration) string {
	if clock == 0 {
		return date
	}
	return date + "T" + fmtClock(clock)
}

func fmtClock(d time.Duration) string {
	s := int(d / time.Second)
	return pad2(s/3600) + ":" + pad2(s/60%60) + ":" + pad2(s%60)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// isoDate tidies the ISO 8601 text of a t="d" cell: no time when it is
// midnight, no zone suffix Z, no zero fraction of a second.
func isoDate(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "Z")
	if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, "T00:00:00")
	return s
}
