package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	cfg = cfg.withDefaults()
	r := &run{
		cfg:    cfg,
		src:    src,
		v:      v,
		sink:   sink,
		lim:    newLimiter(cfg.QPS, cfg.Now),
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
		holder: newHolder(),
	}
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
}

type run struct {
	cfg    Config
	src    Source
	v      Verifier
	sink   Sink
	lim    *limiter
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
	for range r.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for it := range r.work {
				it.out = r.process(it)
				r.done <- it
			}
		}()
	}
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

// abort stops the run for reason (the first reason wins).
func (r *run) abort(reason string) { r.abortAs("", reason) }

// abortAs stops the run for reason, with its AbortCode (the first wins).
func (r *run) abortAs(code AbortCode, reason string) {
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

// process sends one row until it has a final answer, its attempts run out,
// or the run stops.
func (r *run) process(it *item) Outcome {
	idx := it.row.Index
	c := r.resume.Carry[idx]
	calls, lost, attempts := c.Calls, c.Lost, 0
	var last Answer
	r.rowKey(it)
	defer r.unclaim(it) // unless its answer was recorded
	for {
		if r.stopped() {
			return r.unfinishedCounts(calls, lost, attempts, last)
		}
		// The memory's answer, or the row's claim before the attempt.
		if o, ok := r.recall(it); !ok || o != nil {
			if !ok {
				return r.unfinishedCounts(calls, lost, attempts, last)
			}
			o.Calls, o.Lost = calls, lost
			return *o
		}
		s, o, ok := r.reserve(it, calls, lost, attempts, last)
		if !ok {
			return o
		}
		if err := r.lim.Wait(r.stopCtx); err != nil || r.stopped() {
			r.release(s)
			return r.unfinishedCounts(calls, lost, attempts, last)
		}
		n := calls + 1
		if r.cfg.Journal != nil {
			if err := r.cfg.Journal.Attempt(idx, n); err != nil {
				r.release(s)
				r.fail(fmt.Errorf("write journal: %w", err))
				return r.unfinishedCounts(calls, lost, attempts, last)
			}
		}
		calls, attempts = n, attempts+1
		r.calls.Add(1)
		r.inFlight.Add(1)
		ans := r.v.Verify(r.callCtx, it.row.Fields)
		r.inFlight.Add(-1)
		last = ans
		it.code = answerCode(ans)
		r.settle(s, ans)

		exhausted := attempts >= r.cfg.Attempts
		var out Outcome
		switch ans.Class {
		case ClassCharged, ClassFree, ClassUnknown:
			r.consecutive.Store(0)
			out = verified(ans)
			out.AnsweredAt = r.cfg.Now().UTC()
		case ClassRowError:
			r.consecutive.Store(0)
			out = Outcome{Status: StatusError, Charged: ChargedNo, RequestID: ans.RequestID, Error: ans.ErrorText()}
		case ClassBusy:
			r.breaker(ans)
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
			r.abortAs(code, ans.ErrorText())
			return r.unfinishedCounts(calls, lost, attempts, ans)
		case ClassRetry, ClassThrottle, ClassLost:
			r.breaker(ans)
			if ans.Class == ClassLost {
				lost++
			} else {
				r.answered(idx, n)
			}
			if !exhausted {
				r.countRetried(ans)
				if ans.Class == ClassThrottle {
					r.lim.Pause(r.delay(attempts))
				} else {
					r.backoff(attempts)
				}
				continue
			}
			out = Outcome{Status: StatusError, Charged: ChargedNo, RequestID: ans.RequestID,
				Error: fmt.Sprintf("no final answer after %d attempts; last: %s", attempts, ans.ErrorText())}
			if ans.Class == ClassLost {
				out.Charged = ChargedUnknown
			}
		default:
			r.fail(fmt.Errorf("verifier returned an answer of class %v for row %d", ans.Class, it.row.Line))
			return r.unfinishedCounts(calls, lost, attempts, ans)
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

// breaker counts an attempt without a final answer and aborts the run
// when too many come in a row.
func (r *run) breaker(a Answer) {
	if n := r.consecutive.Add(1); n == int64(r.cfg.BreakerLimit) {
		r.abort(fmt.Sprintf("circuit breaker: %d consecutive attempts without a final answer; last: %s", n, a.ErrorText()))
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
	r.cfg.Progress(Progress{
		Done:            rep.Rows,
		Answered:        answered,
		Calls:           int(r.calls.Load()),
		Charged:         rep.Charged,
		PossiblyCharged: rep.PossiblyCharged + rep.UnknownResults,
		Errors:          rep.Errors,
		InFlight:        int(r.inFlight.Load()),
		Elapsed:         r.cfg.Now().Sub(rep.StartedAt),
	})
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
