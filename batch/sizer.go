package batch

import (
	"math"
	"sync"
	"time"
)

// littleHeadroom is how many more workers than rate × latency the run
// keeps, so that a run of slow answers does not leave slots unused.
const littleHeadroom = 1.5

// sizer grows an auto-sized worker pool by Little's law: in flight = rate
// × latency. It keeps an average of the latency the calls see and, at
// most once a second, starts workers up to pace × latency × headroom
// (capped by MaxWorkers). Latency also grows when the run itself is the
// bottleneck (CPU, a local simulator), where more workers only add memory:
// so once a growth (a doubling at most) did not raise the rate of answers
// by half, the pool grows no more unless the pace holds (then growing to
// Little's figure costs little). Safe for concurrent use.
type sizer struct {
	spawn func(n int) // starts n workers; called from a worker

	mu        sync.Mutex
	n         int     // workers now
	lat       float64 // average latency, seconds (exponentially weighted)
	done      int     // answers so far
	checkAt   time.Time
	doneAt    int     // answers at checkAt
	rateGrown float64 // answers a second before the last growth; 0: none yet
	frozenLat float64 // the latency when growth stopped helping; 0: still growing
}

// observe takes one answer that took lat, at now, with the pool paced at
// pace requests a second.
func (s *sizer) observe(now time.Time, lat time.Duration, pace float64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.done++
	if s.lat == 0 {
		s.lat = lat.Seconds()
	} else {
		s.lat += (lat.Seconds() - s.lat) / 16
	}
	if s.checkAt.IsZero() {
		s.checkAt, s.doneAt = now, s.done
	}
	// Look at least twice the latency apart, so that the answers of the
	// workers started last time are in.
	elapsed := now.Sub(s.checkAt)
	if elapsed < max(time.Second, time.Duration(2*s.lat*float64(time.Second))) {
		s.mu.Unlock()
		return
	}
	rate := float64(s.done-s.doneAt) / elapsed.Seconds()
	s.checkAt, s.doneAt = now, s.done
	need := MaxWorkers
	if !math.IsInf(pace, 1) {
		need = min(MaxWorkers, int(math.Ceil(pace*s.lat*littleHeadroom))+2)
	}
	add := 0
	switch {
	case need <= s.n:
	case rate >= 0.95*pace:
		add = min(need, 2*s.n) - s.n // the pace holds: more headroom costs little
	case s.frozenLat > 0:
	case s.rateGrown > 0 && rate < 1.5*s.rateGrown:
		s.frozenLat = s.lat // the last growth did not help: the calls wait on something else
	default:
		add = min(need, 2*s.n) - s.n
		s.rateGrown = rate
	}
	s.n += add
	s.mu.Unlock()
	if add > 0 {
		s.spawn(add)
	}
}

// workers is the pool's size now.
func (s *sizer) workers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
