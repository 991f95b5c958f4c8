package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrAborted is the cause of a run stopped by the service (an abort answer)
// or by the circuit breaker. Report.AbortReason says which.
var ErrAborted = errors.New("run aborted")

// Run verifies every row of src with v and writes each finished row to sink
// in input order. It returns the report of the run.
//
// Cancelling ctx stops sending new requests (an interrupt): the calls in
// flight finish (bounded by the verifier's timeout), every remaining row is
// written as not attempted, and Run returns the report with Interrupted set
// and a nil error. An abort answer or the circuit breaker does the same with
// Aborted set. Run returns an error only when the run itself failed: the
// source could not be read, the sink could not be written, or the journal
// could not be written (then no more requests are sent, since a request
// that is not journaled could be paid twice).
//
// With a Memory, a row whose answer the memory holds (Config.ReuseWithin,
// Config.Endpoint) is reused without a call, every final Result is
// recorded, and the card guard (Config.MaxPerCard) defers rows over its
// cap. Config.MaxCharged bounds what the service may bill the job. A
// memory that fails, or a spent budget, stops the run like an abort
// (Report.AbortCode says which).
func Run(ctx context.Context, src Source, v Verifier, sink Sink, cfg Config) (*Report, error) {
	if cfg.Memory != nil && cfg.Endpoint == "" {
		return nil, errors.New("batch: a run with a memory of earlier answers needs Config.Endpoint: answers are reused only from the endpoint that gave them")
	}
	auto := cfg.Workers <= 0
	cfg = cfg.withDefaults()
	r := &run{
		cfg:    cfg,
		src:    src,
		v:      v,
		sink:   sink,
		dedupe: newDedupe(cfg.Repeats),
		work:   make(chan *item, cfg.Workers),
		done:   make(chan *item, cfg.Window),
		window: make(chan struct{}, cfg.Window),
		rep: &Report{
			ByResult:  map[string]int{},
			ByError:   map[string]int{},
			Retried:   map[string]int{},
			Verdicts:  map[string]int{},
			StartedAt: cfg.Now().UTC(),
			QPS:       cfg.QPS,
		},
		tally:  map[string]*TallyEntry{},
		dead:   make(chan struct{}),
		holder: cmp.Or(cfg.ClaimHolder, newHolder()),
	}
	// The pause after the nth throttle in a row: a quarter of the backoff,
	// as the cut pace already spaces the starts after it.
	// The limiter paces in wall-clock time, whatever Config.Now says: it
	// sleeps for real, and a test's frozen clock must not hold it forever.
	r.lim = newLimiter(cfg.QPS, time.Now, func(n int) time.Duration { return r.delay(n) / 4 })
	if auto {
		r.sizer = &sizer{n: cfg.Workers, spawn: func(n int) { r.spawn(n) }}
	}
	r.lastFinal.Store(cfg.Now().UnixNano())
	if cfg.Resume != nil {
		r.resume = *cfg.Resume
		r.rep.Resumed = len(r.resume.Final) > 0 || len(r.resume.Carry) > 0
	}
	for _, v := range Verdicts {
		r.rep.Verdicts[string(v)] = 0
	}
	r.budget = newBudget(cfg.MaxCharged, r.resume)
	// Calls already in flight finish even when ctx is cancelled: their
	// answers decide what was charged.
	r.callCtx = context.WithoutCancel(ctx)
	r.stopCtx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	return r.execute(ctx)
}

// item is one row on its way through the run.
type item struct {
	row   Row
	out   Outcome
	key   Key       // de-duplication key
	first bool      // the first copy of its four elements
	track bool      // the first copy of four elements that repeat: remember its answer
	dup   bool      // a later copy: gets the first copy's answer when written
	code  string    // the code of the row's last answer, for by_error
	mkey  MemoryKey // the row's key in the memory of earlier answers
	ckey  MemoryKey // its card's key, for the card guard
	// claimed: this run holds the row's claim in the memory (process
	// ends it unless Record did).
	claimed bool
	// counted: the card guard's answer for the next attempt, given with
	// the claim by a CardClaimer; reserve takes it instead of calling
	// ReserveCard.
	counted *CardReservation
}

type run struct {
	cfg    Config
	src    Source
	v      Verifier
	sink   Sink
	lim    *limiter
	sizer  *sizer // nil: a fixed number of workers
	spawn  func(n int)
	dedupe *dedupe
	resume Resume
	budget *budget // nil: no --max-charged
	holder string  // this run's ID in the memory's row claims

	callCtx context.Context
	stopCtx context.Context
	stop    context.CancelCauseFunc

	work   chan *item    // rows to send, producer → workers
	done   chan *item    // finished rows, producer and workers → collector
	window chan struct{} // bounds rows between the producer and the collector

	consecutive atomic.Int64 // attempts without a final answer, pool-wide (circuit breaker)
	lastFinal   atomic.Int64 // Config.Now of the last final answer, unix nanoseconds
	calls       atomic.Int64 // attempts sent in this run
	inFlight    atomic.Int64

	mu          sync.Mutex // guards the fields below
	abortReason string
	abortCode   AbortCode
	fatal       error
	dead        chan struct{} // closed when the run fails
	retried     map[string]int

	// Collector-owned.
	rep   *Report
	tally map[string]*TallyEntry
}

func (r *run) execute(ctx context.Context) (*Report, error) {
	r.retried = map[string]int{}
	var workers sync.WaitGroup
	// Called before the first worker and then only from a worker, so
	// workers.Add never races with workers.Wait at zero.
	r.spawn = func(n int) {
		for range n {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for it := range r.work {
					it.out = r.process(it)
					r.done <- it
				}
			}()
		}
	}
	r.spawn(r.cfg.Workers)
	readErr := make(chan error, 1)
	go func() {
		err := r.produce()
		close(r.work)
		workers.Wait()
		close(r.done)
		readErr <- err
	}()
	collectErr := r.collect()
	if collectErr != nil {
		r.fail(collectErr)
		// Drain so the producer and the workers can finish.
		for range r.done {
		}
	}
	err := <-readErr

	rep := r.rep
	rep.FinishedAt = r.cfg.Now().UTC()
	rep.DurationSeconds = rep.FinishedAt.Sub(rep.StartedAt).Seconds()
	rep.Blank = r.src.Blank()
	rep.Retried = r.retried
	rep.PossiblyCharged += rep.UnknownResults
	rep.Tally = sortedTally(r.tally)
	ps := r.lim.stats()
	rep.Throttled, rep.PaceCuts, rep.Workers = ps.Throttled, ps.Cuts, r.cfg.Workers
	if !math.IsInf(ps.Lowest, 1) {
		rep.LowestQPS = ps.Lowest
	}
	if r.sizer != nil {
		rep.Workers = r.sizer.workers()
	}
	r.mu.Lock()
	reason, code, fatal := r.abortReason, r.abortCode, r.fatal
	r.mu.Unlock()
	switch {
	case fatal != nil:
		return rep, fatal
	case err != nil:
		return rep, err
	case collectErr != nil:
		return rep, collectErr
	}
	if reason != "" {
		rep.Aborted, rep.AbortReason, rep.AbortCode = true, reason, code
	} else if ctx.Err() != nil {
		rep.Interrupted = true
	}
	return rep, nil
}

// produce reads every row and routes it: invalid, already final, a later
// copy, or to be sent. It keeps reading after a stop so that every row is
// written, as not attempted where it was not sent.
func (r *run) produce() error {
	for {
		row, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			r.fail(err) // the source's error names the file and the line
			return err
		}
		select {
		case r.window <- struct{}{}:
		case <-r.dead:
			return nil // the run failed; its error is already recorded
		}
		it := &item{row: row}
		if row.Problem != nil {
			it.out = Outcome{Status: StatusInvalid, Charged: ChargedNo, Error: row.Problem.String()}
			r.carry(it)
			r.done <- it
			continue
		}
		it.key = r.dedupe.key(row.Fields)
		_, first, track := r.dedupe.first(it.key, row.Index)
		if !first {
			it.dup = true
			r.done <- it
			continue
		}
		it.first, it.track = true, track
		if o, ok := r.resume.Final[row.Index]; ok {
			it.out = o
			r.done <- it
			continue
		}
		if r.stopped() {
			it.out = r.unfinished(it, Answer{})
			r.done <- it
			continue
		}
		r.work <- it
	}
}

// carry adds the counts of earlier runs to an outcome that is decided
// without a call now.
func (r *run) carry(it *item) {
	c := r.resume.Carry[it.row.Index]
	it.out.Calls, it.out.Lost = c.Calls, c.Lost
}

// stopped reports whether no new request may be sent.
func (r *run) stopped() bool { return r.stopCtx.Err() != nil }

// abortWith stops the run for reason, code saying it as data (the first
// reason wins).
func (r *run) abortWith(code AbortCode, reason string) {
	r.mu.Lock()
	if r.abortReason == "" && r.fatal == nil {
		r.abortReason, r.abortCode = reason, code
	}
	r.mu.Unlock()
	r.stop(ErrAborted)
}

// fail stops the run for a failure of the run itself.
func (r *run) fail(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
		close(r.dead)
	}
	r.mu.Unlock()
	r.stop(err)
}

// maxRowThrottles bounds the throttled attempts of one row, which do not
// use up its --retries: a busy account slows the run, it does not fail
// rows (the pause and the pace are pool-wide, and the run aborts when no
// call got a final answer for Config.StallLimit).
const maxRowThrottles = 100

// process sends one row until it has a final answer, its attempts run out,
// or the run stops.
func (r *run) process(it *item) Outcome {
	idx := it.row.Index
	c := r.resume.Carry[idx]
	calls, lost, attempts, throttles := c.Calls, c.Lost, 0, 0
	var last Answer
	r.rowKey(it)
	defer r.unclaim(it) // unless its answer was recorded
	for {
		if r.stopped() {
			return r.unfinishedCounts(calls, lost, attempts+throttles, last)
		}
		// The memory's answer, or the row's claim before the attempt.
		if o, ok := r.recall(it); !ok || o != nil {
			if !ok {
				return r.unfinishedCounts(calls, lost, attempts+throttles, last)
			}
			o.Calls, o.Lost = calls, lost
			return *o
		}
		s, o, ok := r.reserve(it, calls, lost, attempts+throttles, last)
		if !ok {
			return o
		}
		n := calls + 1
		ctx, started, ok := r.startAttempt(idx, n)
		if !ok {
			r.release(s)
			return r.unfinishedCounts(calls, lost, attempts+throttles, last)
		}
		calls = n
		r.calls.Add(1)
		r.inFlight.Add(1)
		ans := r.v.Verify(ctx, it.row.Fields)
		r.inFlight.Add(-1)
		wall := time.Now() // started is the limiter's wall-clock stamp
		r.sizer.observe(wall, wall.Sub(started), r.lim.stats().Pace)
		now := r.cfg.Now()
		last = ans
		it.code = answerCode(ans)
		r.settle(s, ans)
		if ans.Class == ClassThrottle {
			throttles++
			r.lim.Throttled(started)
		} else {
			attempts++
			r.lim.Answered(started)
		}

		exhausted := attempts >= r.cfg.Attempts
		var out Outcome
		switch ans.Class {
		case ClassCharged, ClassFree, ClassUnknown, ClassRowError:
			r.consecutive.Store(0)
			r.lastFinal.Store(now.UnixNano())
			if ans.Class == ClassRowError {
				out = Outcome{Status: StatusError, Charged: ChargedNo, RequestID: ans.RequestID, Error: ans.ErrorText()}
			} else {
				out = verified(ans)
				out.AnsweredAt = now.UTC()
			}
		case ClassBusy:
			r.breaker(ans, now)
			if !exhausted {
				r.answered(idx, n)
				r.countRetried(ans)
				r.backoff(attempts)
				continue
			}
			out = verified(ans)
			out.Charged = ChargedNo // -18 is free
			out.AnsweredAt = r.cfg.Now().UTC()
		case ClassAbort:
			r.answered(idx, n)
			code := AbortService
			if IsLocalFailure(ans.Code) {
				code = AbortLocal
			}
			r.abortWith(code, ans.ErrorText())
			return r.unfinishedCounts(calls, lost, attempts+throttles, ans)
		case ClassThrottle:
			r.answered(idx, n)
			r.breaker(ans, now)
			if throttles < maxRowThrottles {
				r.countRetried(ans)
				continue // the limiter holds the retry: the pause is pool-wide
			}
			out = Outcome{Status: StatusError, Charged: ChargedNo, RequestID: ans.RequestID,
				Error: fmt.Sprintf("no final answer after %d throttled attempts; last: %s", throttles, ans.ErrorText())}
		case ClassRetry, ClassLost:
			r.breaker(ans, now)
			if ans.Class == ClassLost {
				lost++
			} else {
				r.answered(idx, n)
			}
			if !exhausted {
				r.countRetried(ans)
				r.backoff(attempts)
				continue
			}
			out = Outcome{Status: StatusError, Charged: ChargedNo, RequestID: ans.RequestID,
				Error: fmt.Sprintf("no final answer after %d attempts; last: %s", attempts, ans.ErrorText())}
			if ans.Class == ClassLost {
				out.Charged = ChargedUnknown
			}
		default:
			r.fail(fmt.Errorf("verifier returned an answer of class %v for row %d", ans.Class, it.row.Line))
			return r.unfinishedCounts(calls, lost, attempts+throttles, ans)
		}
		out.Calls, out.Lost = calls, lost
		if r.cfg.Journal != nil {
			if err := r.cfg.Journal.Final(idx, out); err != nil {
				r.fail(fmt.Errorf("write journal: %w", err))
			}
		}
		if out.Status == StatusVerified {
			r.remember(it, out)
		}
		return out
	}
}

// startAttempt admits attempt n of row: a slot from the limiter, then the
// attempt made durable in the journal, then the shared gate, then the
// start stamp, taken and checked against the window last, just before the
// request is sent (the time from the stamp to the wire is all the window's
// margin must cover). ok is false when the run stopped first (an attempt
// already journaled is then recorded as answered: never sent, not lost);
// once the gate has admitted it, the attempt is sent, with ctx.
//
// The stamp is taken here, not inside the verifier, so the guard holds for
// any Verifier; and it comes after the journal's fsync, so the disk's
// latency is not in the margin. A Verifier that sends over a connection
// (as verifier.Client does) also reports, through WrittenFunc(ctx), when
// each write of the request to the connection ended, and the start moves
// there: a request the scheduler held back between the stamp and the wire
// is corrected before the start n places later is checked.
func (r *run) startAttempt(row, n int) (ctx context.Context, started time.Time, ok bool) {
	if r.stopped() {
		return nil, time.Time{}, false
	}
	if err := r.lim.Wait(r.stopCtx); err != nil || r.stopped() {
		return nil, time.Time{}, false
	}
	if r.cfg.Journal != nil {
		if err := r.cfg.Journal.Attempt(row, n); err != nil {
			r.fail(fmt.Errorf("write journal: %w", err))
			return nil, time.Time{}, false
		}
	}
	// The shared gate comes after the journal's fsync, right before the
	// stamp and the send: its starts, spaced across every job on the
	// account, must reach the wire as they were spaced. An attempt
	// journaled but then not sent (the gate lost, or the run stopped
	// while waiting) is recorded as not lost, so a resume does not count
	// it as possibly charged.
	if g := r.cfg.Gate; g != nil {
		err := g.Wait(r.stopCtx)
		if err == nil && r.stopped() {
			err = context.Cause(r.stopCtx)
		}
		if err != nil {
			if r.stopCtx.Err() == nil {
				r.abortWith(AbortSharedLost, fmt.Sprintf("the shared rate limit is lost: %v", err))
			}
			r.answered(row, n)
			return nil, time.Time{}, false
		}
	}
	// callCtx: the guard waits at most one window, and a journaled
	// attempt is sent.
	st, _ := r.lim.Start(r.callCtx)
	started = st.at
	ctx = WithWritten(r.callCtx, func(t time.Time) { r.lim.Wrote(&st, t) })
	return ctx, started, true
}

func verified(a Answer) Outcome {
	o := Outcome{Status: StatusVerified, Result: a.Result, Description: a.Description, RequestID: a.RequestID}
	switch a.Class {
	case ClassCharged:
		o.Charged = ChargedYes
	case ClassUnknown:
		o.Charged = ChargedUnknown
	default:
		o.Charged = ChargedNo
	}
	return o
}

// unfinished is the outcome of a row the run stopped before sending.
func (r *run) unfinished(it *item, last Answer) Outcome {
	c := r.resume.Carry[it.row.Index]
	return r.unfinishedCounts(c.Calls, c.Lost, 0, last)
}

// unfinishedCounts is the outcome of a row left without a final answer when
// the run stopped: not attempted if this run sent nothing for it, else an
// error that says what happened. It is not journaled as final, so a rerun
// sends the row again.
func (r *run) unfinishedCounts(calls, lost, attempts int, last Answer) Outcome {
	o := Outcome{Status: StatusNotAttempted, Charged: ChargedNo, Calls: calls, Lost: lost}
	if attempts > 0 {
		o.Status = StatusError
		o.Error = "run stopped before a final answer"
		if last.Class != ClassInvalid {
			o.Error += "; last: " + last.ErrorText()
			o.RequestID = last.RequestID
		}
	}
	if lost > 0 {
		o.Charged = ChargedUnknown
	}
	return o
}

func (r *run) answered(row, n int) {
	if r.cfg.Journal == nil {
		return
	}
	if err := r.cfg.Journal.Answered(row, n); err != nil {
		r.fail(fmt.Errorf("write journal: %w", err))
	}
}

// breaker counts an answer that is not final, at now, and aborts the run
// when BreakerLimit of them come in a row or no call got a final answer
// for StallLimit. Throttles do not count towards BreakerLimit: a busy
// account slows the run, and only StallLimit ends it.
func (r *run) breaker(a Answer, now time.Time) {
	if a.Class != ClassThrottle {
		if n := r.consecutive.Add(1); n == int64(r.cfg.BreakerLimit) {
			r.abortWith(AbortBreaker, fmt.Sprintf("circuit breaker: %d consecutive attempts without a final answer; last: %s", n, a.ErrorText()))
		}
	}
	if d := now.Sub(time.Unix(0, r.lastFinal.Load())); d >= r.cfg.StallLimit {
		r.abortWith(AbortBreaker, fmt.Sprintf("circuit breaker: no call got a final answer for %v; last: %s", d.Round(time.Second), a.ErrorText()))
	}
}

// answerCode names an answer in by_error and retried_by_code: its error
// code (or transport label), else its Result, else its class.
func answerCode(a Answer) string {
	switch {
	case a.Code != "":
		return a.Code
	case a.Result != "":
		return a.Result
	}
	return a.Class.String()
}

// countRetried counts an answer that is about to be retried.
func (r *run) countRetried(a Answer) {
	code := answerCode(a)
	r.mu.Lock()
	r.retried[code]++
	r.mu.Unlock()
}

// delay is the backoff before retry number attempt: exponential from
// BackoffBase, capped at BackoffMax, with jitter over its upper half.
func (r *run) delay(attempt int) time.Duration {
	d := r.cfg.BackoffBase << min(attempt-1, 20)
	if d <= 0 || d > r.cfg.BackoffMax {
		d = r.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

func (r *run) backoff(attempt int) {
	_ = sleepCtx(r.stopCtx, r.delay(attempt))
}

// collect writes finished rows in input order and keeps the tally.
func (r *run) collect() error {
	pending := make(map[int]*item)
	next := 0
	answered := 0
	for it := range r.done {
		answered++
		pending[it.row.Index] = it
		for {
			it, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := r.emit(it); err != nil {
				return err
			}
			<-r.window
		}
		r.progress(answered)
	}
	if len(pending) > 0 {
		return fmt.Errorf("internal: %d rows finished out of sequence (row index %d missing)", len(pending), next)
	}
	return nil
}

func (r *run) emit(it *item) error {
	if it.dup {
		it.out = r.dedupe.copyOf(it.key)
		r.carry(it)
	}
	if it.track {
		r.dedupe.written(it.key, it.out)
	}
	o := &it.out
	rep := r.rep
	rep.Rows++
	rep.Calls += o.Calls
	rep.PossiblyCharged += o.Lost
	switch o.Status {
	case StatusVerified:
		rep.Verified++
		rep.ByResult[o.Result]++
		class := "free"
		switch o.Charged {
		case ChargedYes:
			rep.Charged++
			class = "charged"
		case ChargedUnknown:
			rep.UnknownResults++
			class = "unknown"
		default:
			rep.Free++
		}
		e := r.tally[o.Result]
		if e == nil {
			e = &TallyEntry{Code: o.Result, Description: o.Description, Class: class}
			r.tally[o.Result] = e
		}
		e.Count++
	case StatusDuplicate:
		rep.Duplicates++
	case StatusInvalid:
		rep.Invalid++
	case StatusReused:
		rep.Reused++
	case StatusDeferred:
		rep.Deferred++
	case StatusError:
		rep.Errors++
		code := it.code
		if code == "" {
			code = "unknown" // an error row with no answer of this run
		}
		rep.ByError[code]++
	case StatusNotAttempted:
		rep.NotAttempted++
	}
	rep.Verdicts[string(o.Verdict())]++
	if err := r.sink.Write(&Result{Row: it.row, Outcome: it.out}); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// progress reports a snapshot after each finished row arrives.
func (r *run) progress(answered int) {
	rep := r.rep
	ps := r.lim.stats()
	r.cfg.Progress(Progress{
		Done:            rep.Rows,
		Answered:        answered,
		Calls:           int(r.calls.Load()),
		Charged:         rep.Charged,
		PossiblyCharged: rep.PossiblyCharged + rep.UnknownResults,
		Errors:          rep.Errors,
		InFlight:        int(r.inFlight.Load()),
		Elapsed:         r.cfg.Now().Sub(rep.StartedAt),
		PaceMilli:       paceMilli(ps.Pace),
		PaceCuts:        ps.Cuts,
		Throttled:       ps.Throttled,
	})
}

// paceMilli is pace in thousandths, 0 for no limit.
func paceMilli(pace float64) int {
	if math.IsInf(pace, 1) {
		return 0
	}
	return int(math.Round(pace * 1000))
}

// sortedTally orders the tally by code: 0, -1, -2, … then anything else.
func sortedTally(m map[string]*TallyEntry) []TallyEntry {
	out := make([]TallyEntry, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, ea := strconv.Atoi(out[i].Code)
		b, eb := strconv.Atoi(out[j].Code)
		switch {
		case ea == nil && eb == nil:
			return a > b
		case ea == nil:
			return true
		case eb == nil:
			return false
		}
		return out[i].Code < out[j].Code
	})
	return out
}
