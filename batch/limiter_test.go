package batch

import (
	"context"
	"sync"
	"testing"
	"time"
)

// maxInWindow is the most starts that fall in any window of length w.
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

// The one small real-time pacing test: 20/s from 40 concurrent callers,
// never more than 20 starts in any one-second window.
func TestLimiterTwentyPerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time pacing test")
	}
	l := newLimiter(20, time.Now)
	var mu sync.Mutex
	var starts []time.Time
	// The starts as the limiter decided them: a busy machine may run the
	// caller late after Wait returns, which no limiter can prevent.
	l.onStart = func(t time.Time) { starts = append(starts, t) }
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	sortTimes(starts)
	if got := maxInWindow(starts, time.Second); got > 20 {
		t.Errorf("%d starts in one second, want at most 20", got)
	}
	if got := maxInWindow(starts, time.Second); got < 19 {
		t.Errorf("only %d starts in the busiest second: the limiter does not hold the rate", got)
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// With a fake clock: slots are evenly spaced, the window holds, and a pause
// moves every later slot.
func TestLimiterSlots(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := newLimiter(4, clock)
	var slept []time.Time
	l.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		now = now.Add(d)
		slept = append(slept, now)
		mu.Unlock()
		return nil
	}
	var got []time.Time
	for range 9 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		got = append(got, clock())
	}
	if n := maxInWindow(got, time.Second); n > 4 {
		t.Errorf("%d in one second at qps 4: %v", n, got)
	}
	l.Pause(3 * time.Second)
	before := clock()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := clock().Sub(before); d < 3*time.Second {
		t.Errorf("start %v after a 3 s pause", d)
	}
	if newLimiter(0, time.Now) != nil {
		t.Error("qps 0 should mean no limiter")
	}
}
