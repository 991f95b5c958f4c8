package simulator

import (
	"math"
	"sort"
	"time"
)

// window is the sliding one-second request window of Config.QPS.
//
// Only accepted requests take a place in it: a request refused with
// RequestLimitExceeded does not push the window further out, so a client
// that backs off recovers within a second. It also records, for Stats, the
// most requests accepted and the most that arrived in any one second.
// The caller holds Simulator.mu.
type window struct {
	limit    int           // requests accepted per span; 0: unlimited
	span     time.Duration // one second, or 1/QPS when QPS < 1
	accepted []time.Time   // accepted arrivals within span, oldest first
	arrived  []time.Time   // every arrival within one second, oldest first
}

// newWindow makes the window for qps: floor(qps) requests per second, or
// one request per 1/qps seconds when qps is below 1.
func newWindow(qps float64) window {
	w := window{span: time.Second}
	switch {
	case qps <= 0:
	case qps < 1:
		w.limit = 1
		w.span = time.Duration(float64(time.Second) / qps)
	default:
		w.limit = int(math.Floor(qps))
	}
	return w
}

// admit records an arrival at t and reports whether it is accepted, with
// the accepted and arrived counts of the last second including it.
func (w *window) admit(t time.Time) (ok bool, inWindow, arrivals int) {
	w.arrived = append(trim(w.arrived, t, time.Second), t)
	w.accepted = trim(w.accepted, t, w.span)
	if w.limit > 0 && len(w.accepted) >= w.limit {
		return false, countSince(w.accepted, t, time.Second), len(w.arrived)
	}
	w.accepted = append(w.accepted, t)
	return true, countSince(w.accepted, t, time.Second), len(w.arrived)
}

// trim drops the times at or before t-span. Times are in arrival order;
// with a clock that steps back, an older time simply stays a little longer.
// It reslices, and copies only when the dropped head outgrows the rest, so
// an arrival costs amortised O(1).
func trim(ts []time.Time, t time.Time, span time.Duration) []time.Time {
	cut := t.Add(-span)
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(cut) })
	ts = ts[i:]
	if cap(ts) > 64 && len(ts) < cap(ts)/4 {
		ts = append(make([]time.Time, 0, 2*len(ts)+16), ts...)
	}
	return ts
}

// countSince counts the times after t-span.
func countSince(ts []time.Time, t time.Time, span time.Duration) int {
	cut := t.Add(-span)
	return len(ts) - sort.Search(len(ts), func(i int) bool { return ts[i].After(cut) })
}
