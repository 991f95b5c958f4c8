package batch

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

// maxInWindow is the most of the sorted starts that fall in any window of
// length w.
func maxInWindow(starts []time.Time, w time.Duration) int {
	best := 0
	j := 0
	for i := range starts {
		for starts[i].Sub(starts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func fixedPause(time.Duration) func(int) time.Duration {
	return func(n int) time.Duration { return time.Duration(n) * 100 * time.Millisecond }
}

// The one small real-time pacing test: 60 starts at 20/s from 40
// concurrent callers, each taking a slot, then (as the run does after the
// journal) its start: never more than 20 starts in any one-second window,
// and the busiest second holds at least 19.
func TestLimiterTwentyPerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time pacing test")
	}
	l := newLimiter(20, time.Now, fixedPause(0))
	var starts []time.Time
	// The starts as the limiter stamped them (under its lock, in order): a
	// busy machine may run the caller late after Start returns, which is
	// what the window's margin is for.
	l.onStart = func(t time.Time) { starts = append(starts, t) }
	var wg sync.WaitGroup
	var mu sync.Mutex
	left := 60
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				if _, err := l.Start(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(starts) != 60 {
		t.Fatalf("%d starts, want 60", len(starts))
	}
	if got := maxInWindow(starts, time.Second); got > 20 {
		t.Errorf("%d starts in one second, want at most 20", got)
	} else if got < 19 {
		t.Errorf("only %d starts in the busiest second: the limiter does not hold the rate", got)
	}
}

// fakeClock is a clock whose sleeps move it on.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1000, 0)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) Advance(d time.Duration) { _ = c.Sleep(context.Background(), d) }

// fakeLimiter is a limiter on a fake clock.
func fakeLimiter(qps float64) (*limiter, *fakeClock) {
	c := newFakeClock()
	l := newLimiter(qps, c.Now, fixedPause(0))
	l.sleep = c.Sleep
	return l, c
}

// take takes one slot and one start.
func take(t *testing.T, l *limiter) time.Time {
	t.Helper()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := l.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.at
}

// With a fake clock: slots evenly spaced at the rate the window allows,
// never more than qps in a window.
func TestLimiterSlots(t *testing.T) {
	l, _ := fakeLimiter(4)
	var got []time.Time
	for range 13 {
		got = append(got, take(t, l))
	}
	if n := maxInWindow(got, time.Second); n > 4 {
		t.Errorf("%d in one second at qps 4: %v", n, got)
	}
	want := time.Duration(float64(time.Second+paceMargin) / 4)
	for i := 1; i < len(got); i++ {
		if d := got[i].Sub(got[i-1]); d < want-time.Microsecond || d > want+time.Microsecond {
			t.Errorf("start %d came %v after the one before, want %v", i, d, want)
		}
	}
}

// A late start (the journal was slow, the scheduler late) must not let the
// next ones crowd into its window: Start holds them until the window has
// room, and the slots after come on time again.
func TestLimiterGuardHoldsWindowAfterLateStart(t *testing.T) {
	l, c := fakeLimiter(4)
	var got []time.Time
	for i := range 12 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i%4 == 1 {
			c.Advance(200 * time.Millisecond) // this attempt's journal write was slow
		}
		s, err := l.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.at)
	}
	if n := maxInWindow(got, time.Second+windowMargin); n > 4 {
		t.Errorf("%d starts in one window after late starts: %v", n, got)
	}
	if span := got[len(got)-1].Sub(got[0]); span > 3*(time.Second+windowMargin)+200*time.Millisecond {
		t.Errorf("12 starts at qps 4 took %v: the late starts pushed every later slot back", span)
	}
}

// A start held back holds back the start n places later (the guard), and
// that one the next n places on; the pace's wider window lets each step
// come a little earlier, so the starts return to their slots rather than
// keep the delay to the end of the run.
func TestLimiterReturnsToItsSlotsAfterALateStart(t *testing.T) {
	const late = 10 * time.Millisecond
	l, c := fakeLimiter(4)
	slot := time.Duration(float64(time.Second+paceMargin) / 4)
	first := time.Time{}
	for i := range 41 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			c.Advance(late) // this attempt's journal write was slow
		}
		s, err := l.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = s.at
		}
		off := s.at.Sub(first.Add(time.Duration(i) * slot))
		switch {
		case i == 5 && off <= 0:
			t.Errorf("start 5 came %v from its slot: the guard did not hold it after start 1 came %v late", off, late)
		case i >= 37 && (off < -time.Microsecond || off > time.Microsecond):
			t.Errorf("start %d came %v from its slot: the delay of start 1 was never given back", i, off)
		}
	}
}

// Throttles cut the pace by paceCut and pause every start, longer for each
// throttle in a row; throttles of attempts sent before the cut do not cut
// again; the pace climbs back to --qps while none come.
func TestLimiterAdaptsToThrottles(t *testing.T) {
	l, c := fakeLimiter(20)
	s1 := take(t, l)
	s2 := take(t, l)
	l.Throttled(s1)
	l.Throttled(s2) // the same burst: sent before the cut
	st := l.stats()
	if st.Cuts != 1 || st.Throttled != 2 || math.Abs(st.Lowest-14) > 1e-9 {
		t.Errorf("after one throttle burst: %+v, want 1 cut to 14/s, 2 throttles", st)
	}
	before := c.Now()
	s3 := take(t, l)
	if d := s3.Sub(before); d < 100*time.Millisecond {
		t.Errorf("first start %v after a throttle, want the pause of 100ms", d)
	}
	l.Throttled(s3) // a second throttle in a row: a longer pause, a deeper cut
	before = c.Now()
	s4 := take(t, l)
	if d := s4.Sub(before); d < 200*time.Millisecond {
		t.Errorf("start %v after a second throttle in a row, want the pause of 200ms", d)
	}
	if st := l.stats(); st.Cuts != 2 || st.Lowest > 14*paceCut+1e-9 {
		t.Errorf("after two throttles: %+v", st)
	}
	l.Answered(s4) // the streak ends
	s5 := take(t, l)
	l.Throttled(s5)
	before = c.Now()
	if s6 := take(t, l); s6.Sub(before) >= 200*time.Millisecond {
		t.Errorf("pause %v after a streak ended, want the first pause again", s6.Sub(before))
	}

	// Slots follow the pace: no faster than the cut pace right after it.
	l2, _ := fakeLimiter(20)
	l2.Throttled(take(t, l2))
	var got []time.Time
	for range 8 {
		got = append(got, take(t, l2))
	}
	if d := got[len(got)-1].Sub(got[0]) / 7; d < time.Second/15 {
		t.Errorf("slots %v apart after a cut to 14/s", d)
	}

	// The climb: back to --qps after a while without throttles.
	c.Advance(2 * time.Minute)
	if p := l.stats().Pace; p != 20 {
		t.Errorf("pace %v two minutes after the last throttle, want 20", p)
	}
	// And never below the floor.
	l3, _ := fakeLimiter(20)
	for range 30 {
		l3.Throttled(take(t, l3))
	}
	if st := l3.stats(); st.Lowest != paceFloor {
		t.Errorf("lowest pace %v after 30 throttles in a row, want the floor %v", st.Lowest, paceFloor)
	}
}

// The pace is cut sharply and recovers quickly to just under where the
// throttle came, then slowly above it: check the shape.
func TestLimiterPaceShape(t *testing.T) {
	l, c := fakeLimiter(20)
	c.Advance(time.Second)
	l.Throttled(c.Now())
	l.mu.Lock()
	end := l.paused
	at := func(d time.Duration) float64 { return l.paceAt(end.Add(d)) }
	cases := []struct {
		after time.Duration
		want  float64
	}{
		{0, 14},
		{time.Second, 18},
		{1250*time.Millisecond + 4*time.Second, 19 + 4*paceSlow},
		{time.Hour, 20},
	}
	for _, tc := range cases {
		if got := at(tc.after); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("pace %v after the pause: %v, want %v", tc.after, got, tc.want)
		}
	}
	l.mu.Unlock()
}

// No --qps: no spacing and no window, but throttles still pause the pool.
func TestLimiterUnlimited(t *testing.T) {
	l, c := fakeLimiter(0)
	t0 := c.Now()
	var got []time.Time
	for range 100 {
		got = append(got, take(t, l))
	}
	if !slices.Equal(got, slices.Repeat([]time.Time{t0}, 100)) {
		t.Errorf("unlimited starts waited: last at %v", got[99].Sub(t0))
	}
	l.Throttled(got[99])
	if s := take(t, l); s.Sub(t0) < 100*time.Millisecond {
		t.Errorf("no pause after a throttle without --qps")
	}
	if st := l.stats(); st.Cuts != 0 || !math.IsInf(st.Pace, 1) {
		t.Errorf("unlimited pace cut: %+v", st)
	}
}

// Below 1/s: one start per 1/qps seconds.
func TestLimiterBelowOnePerSecond(t *testing.T) {
	l, _ := fakeLimiter(0.5)
	a, b := take(t, l), take(t, l)
	if d := b.Sub(a); d < 2*time.Second {
		t.Errorf("starts %v apart at 0.5/s", d)
	}
}

// A request written late (held between the stamp and the wire) moves its
// start: the start n places later waits for the window from the write.
func TestLimiterWroteMovesStart(t *testing.T) {
	l, c := fakeLimiter(4)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, err := l.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wrote := first.at.Add(300 * time.Millisecond)
	for range 3 {
		take(t, l)
	}
	stale := first
	l.Wrote(&first, wrote.Add(-100*time.Millisecond))
	l.Wrote(&first, wrote) // a second write of the same request moves it on
	if !first.at.Equal(wrote) {
		t.Errorf("the start is at %v after two writes, want the second, %v", first.at, wrote)
	}
	if got := take(t, l); got.Before(wrote.Add(time.Second + windowMargin)) {
		t.Errorf("fifth start %v after the first was written, want at least the window", got.Sub(wrote))
	}
	l.Wrote(&first, c.Now()) // the entry was reused: no effect
	l.Wrote(&stale, c.Now())
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.ring {
		if s.Equal(c.Now()) && !s.Equal(l.ring[(l.head+3)%4]) {
			t.Errorf("a stale Wrote moved another start")
		}
	}
}
