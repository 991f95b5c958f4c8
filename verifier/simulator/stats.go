package simulator

import (
	"fmt"
	"io"
	"maps"
	"slices"
)

// Stats counts what the simulator received, answered and charged. Every
// request is counted exactly once among the outcomes; the counts are exact
// under concurrency.
type Stats struct {
	Requests int // every request received
	Answered int // requests that got an HTTP response of any kind

	// Results decided, by how the service bills them. A result that was
	// decided and then dropped (DropAfter) is counted: it was charged.
	Charged int // Result 0, -1, -6…-17, -21
	Free    int // Result -2…-5, -18, -19, -20
	Unknown int // a Result not in SPEC section 6 (only by Injection)

	Throttled     int // RequestLimitExceeded answers, window or fault
	AuthFailures  int // AuthFailure.* answers
	HTTPErrors    int // non-JSON HTTP error answers (5xx faults, wrong method or path)
	DroppedBefore int // connections closed before processing
	DroppedAfter  int // answers decided, counted, then not sent
	Cancelled     int // requests whose client went away (or Close came) before the answer was decided: not charged
	// ResultAndError counts Result answers that also carried an Error
	// (the ResultAndError fault or Injection.AlsoError); they are billed
	// by their Result above.
	ResultAndError int

	ByResult map[string]int // Result code → count, including DroppedAfter ones
	ByError  map[string]int // Error code → count of error answers sent (or dropped after)

	MaxInWindow       int // most requests accepted in any one-second window
	MaxArrivalsWindow int // most requests that passed the signature check in any one-second window, accepted or not
}

// newStats makes zero Stats with their maps.
func newStats() Stats {
	return Stats{ByResult: map[string]int{}, ByError: map[string]int{}}
}

// Stats returns a snapshot of the counts. It is safe for concurrent use.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByResult = maps.Clone(s.stats.ByResult)
	st.ByError = maps.Clone(s.stats.ByError)
	return st
}

// Format writes what the simulator received, answered and charged, on
// one line, then its answers by Result and by error code in key order.
func (st Stats) Format(w io.Writer) {
	fmt.Fprintf(w, "stopped: %d requests, %d answered; charged %d, free %d, unknown %d; "+
		"throttled %d, auth failures %d, HTTP errors %d, dropped before %d, dropped after %d, cancelled %d; "+
		"most accepted in one second %d\n",
		st.Requests, st.Answered, st.Charged, st.Free, st.Unknown,
		st.Throttled, st.AuthFailures, st.HTTPErrors, st.DroppedBefore, st.DroppedAfter, st.Cancelled,
		st.MaxInWindow)
	for _, c := range []struct {
		label string
		m     map[string]int
	}{{"by result", st.ByResult}, {"by error", st.ByError}} {
		if len(c.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:", c.label)
		for _, k := range slices.Sorted(maps.Keys(c.m)) {
			fmt.Fprintf(w, " %s=%d", k, c.m[k])
		}
		fmt.Fprintln(w)
	}
}
