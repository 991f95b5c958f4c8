package batch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// poolVerifier answers every call with answer(n), n counting the pool's
// calls from 0.
type poolVerifier struct {
	n      atomic.Int64
	answer func(n int) Answer
}

func (p *poolVerifier) Verify(context.Context, Fields) Answer {
	return p.answer(int(p.n.Add(1) - 1))
}

var (
	throttle = Answer{Class: ClassThrottle, Code: "RequestLimitExceeded", Message: "too many requests"}
	okAnswer = Answer{Class: ClassCharged, Result: "0", Description: "ok"}
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("p", i)
	}
	return out
}

// Throttles are not failures: far more throttles in a row than the breaker
// allows, then answers, and every row is verified; a throttled row keeps
// its --retries for answers that use them.
func TestRunThrottlesDoNotTripBreakerNorUseRetries(t *testing.T) {
	v := &poolVerifier{answer: func(n int) Answer {
		if n < 120 {
			return throttle
		}
		return okAnswer
	}}
	cfg := fastCfg()
	cfg.Attempts = 2
	cfg.BreakerLimit = 10
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names(20)...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Aborted || rep.Verified != 20 {
		t.Fatalf("aborted %v (%s), verified %d of 20", rep.Aborted, rep.AbortReason, rep.Verified)
	}
	if rep.Throttled != 120 || rep.Calls != 140 {
		t.Errorf("throttled %d, calls %d; want 120 and 140", rep.Throttled, rep.Calls)
	}
}

// The breaker still stops a run whose calls get no final answer: 50 in a
// row (the default) of anything but a throttle.
func TestRunBreakerAbortsAfterFifty(t *testing.T) {
	v := &poolVerifier{answer: func(int) Answer { return Answer{Class: ClassRetry, Code: "InternalError"} }}
	cfg := fastCfg()
	cfg.Workers = 4
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names(200)...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.AbortCode != AbortBreaker || rep.Calls < 50 || rep.Calls > 50+cfg.Workers {
		t.Errorf("aborted %v code %q after %d calls (%s), want the breaker after 50", rep.Aborted, rep.AbortCode, rep.Calls, rep.AbortReason)
	}
}

// A run in which nothing but throttles come aborts once no call got a
// final answer for StallLimit (5 minutes), on the run's clock.
func TestRunAbortsWhenNoFinalAnswerForFiveMinutes(t *testing.T) {
	var mu sync.Mutex
	var offset time.Duration
	v := &poolVerifier{answer: func(int) Answer {
		mu.Lock()
		offset += 10 * time.Second // every throttle takes 10 s of the run's clock
		mu.Unlock()
		return throttle
	}}
	cfg := fastCfg()
	cfg.Workers = 1
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names(5)...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.AbortCode != AbortBreaker || !strings.Contains(rep.AbortReason, "no call got a final answer for 5m") {
		t.Fatalf("aborted %v code %q: %s", rep.Aborted, rep.AbortCode, rep.AbortReason)
	}
	if rep.Calls != 30 {
		t.Errorf("%d calls, want 30 (5 minutes of 10 s throttles)", rep.Calls)
	}
	if rep.Errors != 1 || rep.NotAttempted != 4 {
		t.Errorf("errors %d, not attempted %d: want the throttled row in error, the rest not attempted", rep.Errors, rep.NotAttempted)
	}
}

// gate admits starts until it is lost.
type gate struct {
	waits atomic.Int64
	lose  int64
}

func (g *gate) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.waits.Add(1) > g.lose {
		return fmt.Errorf("redis: connection refused")
	}
	return nil
}

// Every attempt waits on the shared gate, after its journal record; a gate
// lost stops sending and aborts with AbortSharedLost, and every attempt it
// refused is journaled as answered (never sent, so not possibly charged).
func TestRunGate(t *testing.T) {
	g := &gate{lose: 1 << 40}
	v := &poolVerifier{answer: func(n int) Answer {
		if n%3 == 0 {
			return Answer{Class: ClassRetry, Code: "HTTP 503"}
		}
		return okAnswer
	}}
	cfg := fastCfg()
	cfg.Gate = g
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names(30)...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Aborted || int(g.waits.Load()) != rep.Calls || rep.Calls <= 30 {
		t.Errorf("aborted %v; gate waits %d for %d calls", rep.Aborted, g.waits.Load(), rep.Calls)
	}

	g = &gate{lose: 10}
	j := &countJournal{}
	cfg = fastCfg()
	cfg.Gate, cfg.Journal = g, j
	rep, err = Run(context.Background(), &sliceSource{rows: rows(names(100)...)}, &poolVerifier{answer: func(int) Answer { return okAnswer }}, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.AbortCode != AbortSharedLost || rep.Calls != 10 {
		t.Errorf("aborted %v code %q (%s), calls %d; want shared-lost after 10", rep.Aborted, rep.AbortCode, rep.AbortReason, rep.Calls)
	}
	// okAnswer is final: only the refused attempts get an Answered record.
	if sent := j.attempts.Load() - j.answered.Load(); sent != 10 || j.answered.Load() == 0 {
		t.Errorf("journaled %d attempts, %d answered without a call: %d left as sent, want the 10 calls", j.attempts.Load(), j.answered.Load(), sent)
	}
	if rep.PossiblyCharged != 0 {
		t.Errorf("possibly charged %d: a refused attempt counted as lost", rep.PossiblyCharged)
	}
	if rep.Verified != 10 || rep.NotAttempted != 90 {
		t.Errorf("verified %d, not attempted %d", rep.Verified, rep.NotAttempted)
	}
}

type countJournal struct{ attempts, answered atomic.Int64 }

func (j *countJournal) Attempt(int, int) error   { j.attempts.Add(1); return nil }
func (j *countJournal) Answered(int, int) error  { j.answered.Add(1); return nil }
func (j *countJournal) Final(int, Outcome) error { return nil }

// The report says how often and how far the pace was cut.
func TestRunReportsPace(t *testing.T) {
	v := &poolVerifier{answer: func(n int) Answer {
		if n == 3 {
			return throttle
		}
		return okAnswer
	}}
	cfg := fastCfg()
	cfg.QPS = 1000
	cfg.Workers = 1
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names(10)...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Throttled != 1 || rep.PaceCuts != 1 || rep.LowestQPS != 700 || rep.Verified != 10 {
		t.Errorf("throttled %d, cuts %d, lowest %v, verified %d; want 1, 1, 700, 10", rep.Throttled, rep.PaceCuts, rep.LowestQPS, rep.Verified)
	}
}

// The sizer grows the pool to rate × latency with headroom, and stops
// growing when more workers do not bring more answers (the run itself is
// the bottleneck).
func TestSizer(t *testing.T) {
	t.Run("little", func(t *testing.T) {
		s := &sizer{n: 4}
		s.spawn = func(int) {}
		at := time.Unix(0, 0)
		// 20/s paced, 2 s latency: 20 × 2 × 1.5 + 2 = 62 workers.
		for i := range 800 {
			s.observe(at.Add(time.Duration(i)*50*time.Millisecond), 2*time.Second, 20)
		}
		if n := s.workers(); n != 62 {
			t.Errorf("%d workers at 20/s and 2 s latency, want 62", n)
		}
	})
	t.Run("cpu bound", func(t *testing.T) {
		s := &sizer{n: 64}
		s.spawn = func(int) {}
		at := time.Unix(0, 0)
		// 6,000 answers a second whatever the pool; the latency is the
		// pool's own queue: workers / 6,000.
		for i := range 60000 {
			lat := time.Duration(float64(time.Second) * float64(s.workers()) / 6000)
			s.observe(at.Add(time.Duration(i)*time.Second/6000), lat, 100000)
		}
		if n := s.workers(); n > 128 {
			t.Errorf("%d workers when more did not help, want at most one growth from 64", n)
		}
	})
}

// writtenLate is a Verifier whose first request reaches the wire late: it
// tells the run, through WrittenFunc, a write that ended `late` after the
// call began, and notes when each call began.
type writtenLate struct {
	late   time.Duration
	mu     sync.Mutex
	starts []time.Time
}

func (v *writtenLate) Verify(ctx context.Context, _ Fields) Answer {
	now := time.Now()
	v.mu.Lock()
	first := len(v.starts) == 0
	v.starts = append(v.starts, now)
	v.mu.Unlock()
	if f := WrittenFunc(ctx); f != nil && first {
		f(now.Add(v.late))
	}
	return okAnswer
}

// The run hands every attempt a WrittenFunc whose report moves the start
// in its rate guard: at --qps 1 the second call waits a window from the
// first one's write, not from its start. (Without the report it would come
// about one second after the first.)
func TestRunGuardCountsFromTheWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time pacing test")
	}
	const late = 1500 * time.Millisecond
	v := &writtenLate{late: late}
	cfg := fastCfg()
	cfg.QPS = 1
	if _, err := Run(context.Background(), &sliceSource{rows: rows(names(2)...)}, v, &memSink{}, cfg); err != nil {
		t.Fatal(err)
	}
	if len(v.starts) != 2 {
		t.Fatalf("%d calls, want 2", len(v.starts))
	}
	if gap := v.starts[1].Sub(v.starts[0]); gap < late+time.Second {
		t.Errorf("the second call came %v after the first, whose request left %v after it began: want at least %v", gap, late, late+time.Second)
	}
}
