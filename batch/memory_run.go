package batch

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What the run does with the memory of earlier answers (SPEC section 11):
// reuse, record, the card guard; and the budget of Config.MaxCharged.
// Every memory call is made by the worker that holds the row, so lookups
// run as concurrently as the calls do and the producer never waits on the
// store.

// cardWindow is the card guard's window: at most MaxPerCard calls per card
// in any cardWindow.
const cardWindow = 24 * time.Hour

// slot is what one attempt holds before it is sent: a place in the budget
// and a counted call for its card.
type slot struct {
	budget bool      // acquired from r.budget
	card   bool      // counted by the card guard
	cardK  MemoryKey // the card's key
	cardID string    // the reservation, for ReleaseCard
}

// reusable reports whether an answer with this Result may be recorded and
// reused: not -18 (busy) nor -19 (no verdict yet).
func reusable(result string) bool { return result != "" && result != "-18" && result != "-19" }

// recall looks the row up in the memory. It returns the reused outcome
// when an answer may be reused, nil when the row must be sent, and false
// when the run stopped (or the memory failed) before it knew.
func (r *run) recall(it *item) (*Outcome, bool) {
	m := r.cfg.Memory
	if m == nil {
		return nil, true
	}
	it.mkey = m.RowKey(it.row.Fields)
	if r.cfg.ReuseWithin <= 0 {
		return nil, true
	}
	since := r.cfg.Now().Add(-r.cfg.ReuseWithin)
	rem, ok, err := m.Lookup(r.stopCtx, it.mkey, r.cfg.Endpoint, since)
	if err != nil {
		r.memoryLost("look up an answer", err)
		return nil, false
	}
	if !ok || !reusable(rem.Result) || rem.Endpoint != r.cfg.Endpoint || rem.AnsweredAt.Before(since) {
		return nil, true
	}
	return &Outcome{
		Status:      StatusReused,
		Result:      rem.Result,
		Description: rem.Description,
		Charged:     ChargedNo,
		RequestID:   rem.RequestID,
		AnsweredAt:  rem.AnsweredAt.UTC(),
	}, true
}

// remember records a final Result of this run in the memory.
func (r *run) remember(it *item, o Outcome) {
	m := r.cfg.Memory
	if m == nil || !reusable(o.Result) {
		return
	}
	err := m.Record(r.callCtx, it.mkey, Remembered{
		Result:      o.Result,
		Description: ScrubDigits(o.Description),
		Charged:     o.Charged,
		RequestID:   o.RequestID,
		AnsweredAt:  o.AnsweredAt,
		Endpoint:    r.cfg.Endpoint,
	})
	if err != nil {
		r.memoryLost("record an answer", err)
	}
}

// reserve takes what one attempt needs before it is sent: its place in
// the budget (waiting for calls in flight while the budget is full) and a
// counted call for its card. When it cannot, it returns false and the
// row's outcome: deferred when the card is over the guard's cap, else
// unfinished because the run stops (the budget is spent, the memory
// failed, or the run was stopped).
func (r *run) reserve(it *item, calls, lost, attempts int, last Answer) (slot, Outcome, bool) {
	var s slot
	ok, err := r.budget.acquire(r.stopCtx)
	if err != nil || !ok {
		if err == nil && !r.stopped() {
			r.abortWith(AbortBudget, fmt.Sprintf("budget reached: %d calls charged or possibly charged, the most allowed is %d", r.budget.spent(), r.cfg.MaxCharged))
		}
		return s, r.unfinishedCounts(calls, lost, attempts, last), false
	}
	s.budget = r.budget != nil
	m := r.cfg.Memory
	if m == nil || r.cfg.MaxPerCard <= 0 {
		return s, Outcome{}, true
	}
	if it.ckey == (MemoryKey{}) {
		it.ckey = m.CardKey(it.row.Fields.BankCard)
	}
	res, err := m.ReserveCard(r.stopCtx, it.ckey, r.cfg.Now(), r.cfg.MaxPerCard)
	if err != nil {
		r.release(s)
		r.memoryLost("count a call for the card guard", err)
		return slot{}, r.unfinishedCounts(calls, lost, attempts, last), false
	}
	if !res.OK {
		r.release(s)
		return slot{}, r.deferred(res.Next, calls, lost), false
	}
	s.card, s.cardK, s.cardID = true, it.ckey, res.ID
	return s, Outcome{}, true
}

// deferred is the outcome of a row held back by the card guard until next
// (rounded up to a whole second, so never early). It is not journaled as
// final: a rerun from that time sends the row.
func (r *run) deferred(next time.Time, calls, lost int) Outcome {
	next = next.UTC()
	if t := next.Truncate(time.Second); t.Before(next) {
		next = t.Add(time.Second)
	}
	o := Outcome{
		Status:     StatusDeferred,
		Charged:    ChargedNo,
		Calls:      calls,
		Lost:       lost,
		AnsweredAt: next,
		Error: fmt.Sprintf("card guard: this bank card reached its limit of %d calls in 24 hours; it may be checked again from %s",
			r.cfg.MaxPerCard, next.Format(time.RFC3339)),
	}
	if lost > 0 {
		o.Charged = ChargedUnknown
	}
	return o
}

// release gives back what an attempt that was never sent holds.
func (r *run) release(s slot) {
	if s.budget {
		r.budget.settle(false)
	}
	if s.card {
		r.releaseCard(s)
	}
}

// settle ends an attempt that was sent, by what its answer means: the
// budget counts it when the service may bill it, and the card guard keeps
// it counted when it may have reached the card's bank (an answer with a
// Result, or a lost one) and uncounts it otherwise (throttled, 5xx, not
// sent, an error code).
func (r *run) settle(s slot, a Answer) {
	if s.budget {
		r.budget.settle(billable(a.Class))
	}
	if !s.card {
		return
	}
	switch a.Class {
	case ClassCharged, ClassFree, ClassUnknown, ClassBusy, ClassLost:
	default:
		r.releaseCard(s)
	}
}

func (r *run) releaseCard(s slot) {
	if err := r.cfg.Memory.ReleaseCard(r.callCtx, s.cardK, s.cardID); err != nil {
		r.memoryLost("uncount a call for the card guard", err)
	}
}

// memoryLost stops the run because the memory failed: no call may be sent
// without the card guard's count, and answers could no longer be recorded.
// An error because the run was stopped first is not a failure.
func (r *run) memoryLost(what string, err error) {
	if r.stopped() && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return
	}
	r.abortWith(AbortSharedLost, fmt.Sprintf("memory of earlier answers: could not %s: %v", what, err))
}
