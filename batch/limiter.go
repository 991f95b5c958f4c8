package batch

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter paces the run's request starts (SPEC section 6): evenly spaced,
// never more than n starts in any window (retries included), slowed for
// the whole pool when the service throttles. Safe for concurrent use.
//
// A start takes two steps. Wait, before the attempt is journaled, takes
// the next evenly spaced slot from a rate.Limiter, one waiter at a time in
// arrival order (so a cut of the pace applies to the very next slot) and
// never during a pool-wide pause. Start, after the journal and right
// before the request goes out, takes the start stamp and checks it
// against the last n real starts: a waiter the scheduler woke late, or a
// slow journal write, can push a start later but never lets n+1 starts
// land in one window. The rate.Limiter's timeline does not move with a
// late wake-up, so the next slot comes on time and the rate holds.
type limiter struct {
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	onStart func(time.Time) // test hook: each start, in order, under mu
	pause   func(streak int) time.Duration
	turn    chan struct{} // held by the one waiter taking a slot
	rl      *rate.Limiter

	mu       sync.Mutex
	max      float64       // --qps; +Inf: no limit (throttles still pause)
	window   time.Duration // the guard's window: 1 s (or 1/qps) plus windowMargin
	paceWin  time.Duration // the pace's: 1 s (or 1/qps) plus paceMargin
	ring     []time.Time   // the last n starts, oldest at head; n = cap
	head     int
	cutAt    time.Time // when the pace was last cut (throttle); zero: never
	cut      float64   // the pace right after that cut
	high     float64   // the pace the throttle came at
	paused   time.Time // no slot before this
	streak   int       // throttle events since the last other answer
	cuts     int
	lowest   float64
	throttle int
}

// windowMargin widens the guard's window beyond one second by what the
// way from the request's last write to the service's clock adds: to a
// simulator in the real-time class on a Unix socket, at most 1.9 and
// 2.8 ms in two runs of 2,000 calls without a hog (3.7 ms in one beside a
// race-detector test run, 8.8 ms in one beside a CPU hog: BENCHMARKS.md);
// the rest is room for a network's jitter.
//
// paceMargin is the same for the even pace of the slots, and is wider: a
// start held back (a slow journal write, a late wake-up, a request the
// scheduler held before the wire) holds back the start n places later,
// which holds back the one n places after it, and so on; each such step
// the pace's wider window gives back paceMargin - windowMargin, so the
// starts return to their slots instead of losing the delay for the rest
// of the run. The pace costs paceMargin of a second: 0.4% of the rate.
const (
	windowMargin = 2500 * time.Microsecond
	paceMargin   = 4 * time.Millisecond
)

// The pace's adaptation to throttles: a throttle cuts it to paceCut of
// itself (not below paceFloor); it climbs back at paceFast per second
// until paceKnee of the pace the first throttle of the streak came at,
// then at paceSlow per second up to --qps. The quick return and the slow
// probe above it keep the pace close to what the account has left.
const (
	paceCut   = 0.7
	paceFloor = 0.5
	paceFast  = 4.0
	paceKnee  = 0.95
	paceSlow  = 0.1
)

// newLimiter returns the limiter for qps requests a second (<= 0: no
// limit) whose pause after the nth consecutive throttle is pause(n).
func newLimiter(qps float64, now func() time.Time, pause func(int) time.Duration) *limiter {
	l := &limiter{
		now:     now,
		sleep:   sleepCtx,
		onStart: func(time.Time) {},
		pause:   pause,
		turn:    make(chan struct{}, 1),
		max:     math.Inf(1),
	}
	n := 0
	if qps > 0 && !math.IsInf(qps, 1) {
		l.max = qps
		n = max(1, int(math.Floor(qps)))
		base := time.Second
		if qps < 1 {
			base = time.Duration(float64(time.Second) / qps)
		}
		l.window, l.paceWin = base+windowMargin, base+paceMargin
	}
	l.lowest = l.max
	l.ring = make([]time.Time, 0, n)
	l.rl = rate.NewLimiter(l.limit(now()), 1)
	return l
}

// limit is the rate.Limiter's rate at t: the pace, but never faster than
// n starts per pace window. Call with mu held, or before l is shared.
func (l *limiter) limit(t time.Time) rate.Limit {
	p := l.paceAt(t)
	if n := cap(l.ring); n > 0 {
		p = min(p, float64(n)/l.paceWin.Seconds())
	}
	if math.IsInf(p, 1) {
		return rate.Inf
	}
	return rate.Limit(p)
}

// paceAt is the adapted rate at t. Call with mu held.
func (l *limiter) paceAt(t time.Time) float64 {
	if l.cutAt.IsZero() || math.IsInf(l.max, 1) {
		return l.max
	}
	dt := max(0, t.Sub(l.paused).Seconds()) // the climb starts when the pause ends
	p := l.cut + paceFast*dt
	if knee := paceKnee * l.high; p > knee {
		fast := max(0, (knee-l.cut)/paceFast)
		p = max(knee, l.cut) + paceSlow*(dt-fast)
	}
	return min(l.max, p)
}

// Wait blocks until the caller may take the next slot, or ctx is done.
func (l *limiter) Wait(ctx context.Context) error {
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.turn }()
	for {
		now := l.now()
		l.mu.Lock()
		paused := l.paused
		l.rl.SetLimitAt(now, l.limit(now))
		l.mu.Unlock()
		if d := paused.Sub(now); d > 0 {
			if err := l.sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		if d := l.rl.ReserveN(now, 1).DelayFrom(now); d > 0 {
			if err := l.sleep(ctx, d); err != nil {
				return err
			}
			l.mu.Lock()
			paused = l.paused
			l.mu.Unlock()
			if paused.After(l.now()) {
				continue // a throttle came while this slot waited
			}
		}
		return nil
	}
}

// start is one start the limiter recorded: its time and its place in the
// ring.
type start struct {
	at time.Time
	i  int // -1: not in the ring (no limit)
}

// Start blocks until one more start keeps at most n starts in the guard's
// window, records it and returns it: call it right before the request is
// sent. It waits at most one window.
func (l *limiter) Start(ctx context.Context) (start, error) {
	for {
		l.mu.Lock()
		now := l.now()
		n := cap(l.ring)
		st := start{at: now, i: -1}
		var wait time.Duration
		switch {
		case n == 0:
		case len(l.ring) < n:
			st.i = len(l.ring)
			l.ring = append(l.ring, now)
		default:
			if wait = l.ring[l.head].Add(l.window).Sub(now); wait <= 0 {
				st.i = l.head
				l.ring[l.head] = now
				l.head = (l.head + 1) % n
			}
		}
		if wait <= 0 {
			l.onStart(now)
			l.mu.Unlock()
			return st, nil
		}
		l.mu.Unlock()
		if err := l.sleep(ctx, wait); err != nil {
			return start{}, err
		}
	}
}

// Wrote moves start st to t, when bytes of its request reached the
// connection, if that is later: a request the scheduler held between the
// stamp and the wire then holds the next starts back as it should. It may
// be called for each write of the request; st follows the moves. Later
// starts never overtake a moved one in the ring, so the check stays on the
// safe side.
func (l *limiter) Wrote(st *start, t time.Time) {
	l.mu.Lock()
	if st.i >= 0 && st.i < len(l.ring) && l.ring[st.i].Equal(st.at) && t.After(st.at) {
		l.ring[st.i] = t
		st.at = t
	}
	l.mu.Unlock()
}

// Throttled takes a throttle answer to the attempt started at started.
// Unless the attempt left before the last cut (the cut already answered
// it), the pace is cut, and every start pauses for longer the more
// throttles came in a row.
func (l *limiter) Throttled(started time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttle++
	if !l.cutAt.IsZero() && !started.After(l.cutAt) {
		return
	}
	now := l.now()
	if !math.IsInf(l.max, 1) {
		p := l.paceAt(now)
		if l.streak == 0 {
			// The first of a streak: the account took calls up to about
			// here. In a storm (throttles in a row, nothing else between)
			// this stays, so the pace comes back quickly when it ends.
			l.high = p
		}
		l.cut = max(paceFloor, min(p*paceCut, l.max))
		l.cuts++
		l.lowest = min(l.lowest, l.cut)
	}
	l.cutAt = now
	l.streak++
	if until := now.Add(l.pause(l.streak)); until.After(l.paused) {
		l.paused = until
	}
}

// Answered takes any answer but a throttle to the attempt started at
// started: a throttle streak ends when an attempt sent after it got one.
func (l *limiter) Answered(started time.Time) {
	l.mu.Lock()
	if started.After(l.cutAt) {
		l.streak = 0
	}
	l.mu.Unlock()
}

// paceStats are the limiter's figures for the report.
type paceStats struct {
	Pace      float64 // now
	Cuts      int
	Lowest    float64
	Throttled int
}

func (l *limiter) stats() paceStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return paceStats{Pace: l.paceAt(l.now()), Cuts: l.cuts, Lowest: l.lowest, Throttled: l.throttle}
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
