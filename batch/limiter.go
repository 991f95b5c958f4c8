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
// Each Wait reserves the earliest slot that keeps both rules, so waiters are
// served in arrival order and the reorder window does not stall behind a
// starved row. Safe for concurrent use.
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	interval time.Duration // between two starts
	window   time.Duration // the sliding window (1 s plus a margin)
	ring     []time.Time   // the last n reserved slots, oldest at head
	head     int
	next     time.Time // earliest next slot by spacing
	paused   time.Time // no slot before this (throttle)
}

// windowMargin is added to the one-second window so that scheduling jitter
// between our clock and the service's arrival times cannot put qps+1 starts
// into one of the service's windows.
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
	for {
		l.mu.Lock()
		slot := l.now()
		if l.next.After(slot) {
			slot = l.next
		}
		if l.paused.After(slot) {
			slot = l.paused
		}
		if len(l.ring) == cap(l.ring) {
			if earliest := l.ring[l.head].Add(l.window); earliest.After(slot) {
				slot = earliest
			}
			l.ring[l.head] = slot
			l.head = (l.head + 1) % len(l.ring)
		} else {
			l.ring = append(l.ring, slot)
		}
		l.next = slot.Add(l.interval)
		wait := slot.Sub(l.now())
		l.mu.Unlock()

		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		voided := l.paused.After(slot)
		l.mu.Unlock()
		if !voided {
			return nil
		}
		// A throttle arrived while we waited: the slot is void (it still
		// counts in the window, which only errs on the slow side).
	}
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
