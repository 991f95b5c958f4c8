package batch

import (
	"context"
	"sync"
)

// budget enforces Config.MaxCharged: an attempt is counted in flight
// before it is sent, and settles as used (charged or possibly charged) or
// free when its answer comes, so the calls the service may bill over the
// job never pass max. Safe for concurrent use.
type budget struct {
	mu       sync.Mutex
	max      int
	used     int           // charged and possibly charged calls of the job, over its runs
	inFlight int           // attempts acquired and not yet settled
	changed  chan struct{} // closed and replaced whenever inFlight drops
}

// newBudget returns the budget for max calls, nil when max <= 0 (no
// budget), with the calls earlier runs of the job may have been billed for
// already counted: every final row charged yes or unknown (one call each)
// and every lost attempt.
func newBudget(max int, res Resume) *budget {
	if max <= 0 {
		return nil
	}
	b := &budget{max: max, changed: make(chan struct{})}
	for _, o := range res.Final {
		if o.Charged == ChargedYes || o.Charged == ChargedUnknown {
			b.used++
		}
		b.used += o.Lost
	}
	for _, c := range res.Carry {
		b.used += c.Lost
	}
	return b
}

// acquire counts one attempt in flight. While the budget is full but calls
// are in flight (whose answers may be free), it waits for one to settle.
// It reports false when the budget is spent (nothing in flight can free
// it), and returns ctx's error when ctx is done first. A nil budget always
// admits.
func (b *budget) acquire(ctx context.Context) (bool, error) {
	if b == nil {
		return true, nil
	}
	for {
		b.mu.Lock()
		if b.used+b.inFlight < b.max {
			b.inFlight++
			b.mu.Unlock()
			return true, nil
		}
		if b.inFlight == 0 {
			b.mu.Unlock()
			return false, nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// settle ends an acquired attempt: used when the service may bill it.
func (b *budget) settle(used bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.inFlight--
	if used {
		b.used++
	}
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// spent returns the calls counted as used.
func (b *budget) spent() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// billable reports whether an answer of class c may be billed: a Result
// the service charges or might, or an answer lost after the request was
// written.
func billable(c Class) bool {
	return c == ClassCharged || c == ClassUnknown || c == ClassLost
}
