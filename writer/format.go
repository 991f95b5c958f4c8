package writer

import (
	"math"
	"strconv"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// duration is the run's duration: DurationSeconds, else the span between
// StartedAt and FinishedAt.
func duration(rep *batch.Report) time.Duration {
	d := time.Duration(rep.DurationSeconds * float64(time.Second))
	if d == 0 && !rep.StartedAt.IsZero() && !rep.FinishedAt.IsZero() {
		d = rep.FinishedAt.Sub(rep.StartedAt)
	}
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// utc formats t in UTC to the second, as the Answered at column does
// ("2026-12-02 01:02:03"), or "" when t is zero.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(answeredAtLayout)
}

// yesNo spells a flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// costs returns the cost of the charged calls and the most the run may have
// cost (charged plus possibly charged), or ok false when no price is given.
// The report's own figures win when it has them.
func costs(rep *batch.Report) (cost, maxCost float64, ok bool) {
	if rep.Price == nil {
		return 0, 0, false
	}
	p := *rep.Price
	cost = round6(float64(rep.Charged) * p)
	maxCost = round6(float64(rep.Charged+rep.PossiblyCharged) * p)
	if rep.Cost != nil {
		cost = *rep.Cost
	}
	if rep.MaxCost != nil {
		maxCost = *rep.MaxCost
	}
	return cost, maxCost, true
}

// round6 drops binary floating-point noise (0.1×3 = 0.30000000000000004).
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// money formats an amount with no float noise and no trailing zeros.
func money(x float64) string { return strconv.FormatFloat(round6(x), 'f', -1, 64) }
