package batch

import (
	"context"
	"math"
	"sync"
	"time"
)

// limiter paces request starts: evenly spaced, never more than n starts in
// any window of length window (retries included), and paused for everyone
// when the service throttles.
//
// Each Wait first reserves the next evenly spaced slot, so waiters are served
// in arrival order and the reorder window does not stall behind a starved
// row. On waking it checks the window against the times requests really
// started (a waiter the scheduler woke late must not let the next ones
// crowd into its second), and records its own start. Safe for concurrent
// use.
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	onStart  func(time.Time) // test hook: the start time Wait recorded
	interval time.Duration   // between two slots
	window   time.Duration   // the sliding window (1 s plus a margin)
	ring     []time.Time     // the last n starts, oldest at head
	head     int
	next     time.Time // the next free slot by spacing
	paused   time.Time // no start before this (throttle)
}

// windowMargin is added to the one-second window so that jitter between a
// start here and its arrival at the service cannot put qps+1 requests into
// one of the service's windows.
const windowMargin = 10 * time.Millisecond

// newLimiter returns a limiter for qps requests per second; qps <= 0 means
// no limit (nil limiter, whose Wait returns at once).
func newLimiter(qps float64, now func() time.Time) *limiter {
	if qps <= 0 || math.IsInf(qps, 1) {
		return nil
	}
	n := int(math.Floor(qps))
	window := time.Second + windowMargin
	if n < 1 {
		// Fewer than one a second: one start per 1/qps seconds.
		n = 1
		window = time.Duration(float64(time.Second)/qps) + windowMargin
	}
	return &limiter{
		now:      now,
		sleep:    sleepCtx,
		onStart:  func(time.Time) {},
		interval: window / time.Duration(n),
		window:   window,
		ring:     make([]time.Time, 0, n),
	}
}

// Wait blocks until the caller may start one request, or ctx is done.
func (l *limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	slot := latest(l.now(), l.next, l.paused)
	l.next = slot.Add(l.interval)
	l.mu.Unlock()
	for {
		if err := l.sleepUntil(ctx, slot); err != nil {
			return err
		}
		l.mu.Lock()
		now := l.now()
		slot = l.paused
		if len(l.ring) == cap(l.ring) {
			slot = latest(slot, l.ring[l.head].Add(l.window))
		}
		if !slot.After(now) {
			if len(l.ring) == cap(l.ring) {
				l.ring[l.head] = now
				l.head = (l.head + 1) % len(l.ring)
			} else {
				l.ring = append(l.ring, now)
			}
			l.onStart(now) // under the lock: hooks see starts in order
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
	}
}

func (l *limiter) sleepUntil(ctx context.Context, t time.Time) error {
	if d := t.Sub(l.now()); d > 0 {
		return l.sleep(ctx, d)
	}
	return ctx.Err()
}

// latest returns the latest of ts.
func latest(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// Pause holds every start until now+d: the service said we are too fast.
func (l *limiter) Pause(d time.Duration) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(d); until.After(l.paused) {
		l.paused = until
	}
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
