package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// What the run does with the memory of earlier answers (SPEC section 11):
// reuse, record, the card guard; and the budget of Config.MaxCharged.
// Every memory call is made by the worker that holds the row, so lookups
// run as concurrently as the calls do and the producer never waits on the
// store.

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

// rowKey sets the row's key in the memory, when there is one.
func (r *run) rowKey(it *item) {
	if m := r.cfg.Memory; m != nil {
		it.mkey = m.RowKey(it.row.Fields)
	}
}

// lookup looks the row up in the memory. It returns the reused outcome
// when an answer may be reused, nil when there is none, and false when
// the run stopped (or the memory failed) before it knew.
func (r *run) lookup(it *item) (*Outcome, bool) {
	since := r.since()
	rem, ok, err := r.cfg.Memory.Lookup(r.stopCtx, it.mkey, r.cfg.Endpoint, since)
	if err != nil {
		r.memoryLost("look up an answer", err)
		return nil, false
	}
	if !ok || !r.reuses(since)(rem) {
		return nil, true
	}
	return reused(rem), true
}

// since is the oldest answer the run reuses.
func (r *run) since() time.Time { return r.cfg.Now().Add(-r.cfg.ReuseWithin) }

// reuses says which remembered answers the run reuses: of its endpoint,
// given at or after since, with a Result that may be reused.
func (r *run) reuses(since time.Time) func(Remembered) bool {
	return func(rem Remembered) bool {
		return reusable(rem.Result) && rem.Endpoint == r.cfg.Endpoint && !rem.AnsweredAt.Before(since)
	}
}

// reused is the outcome of a row answered by rem.
func reused(rem Remembered) *Outcome {
	return &Outcome{
		Status:      StatusReused,
		Result:      rem.Result,
		Description: rem.Description,
		Charged:     ChargedNo,
		RequestID:   rem.RequestID,
		AnsweredAt:  rem.AnsweredAt.UTC(),
	}
}

// Claims (SPEC sections 1 and 11: several runs sharing one memory never
// pay twice for a row within the reuse window). Before every attempt the
// worker looks the row up; when no answer is reused it takes or renews
// the row's claim under the run's holder ID and looks the row up once
// more (an answer may have been recorded in between), and sends only when
// the claim is its own and the row is still unanswered. A memory that is
// a LookupClaimer does the look and the claim in one call. While another
// run holds the row, the worker waits, looking again every claimPollMin to
// claimPollMax (jittered), until that run records the answer (the row is
// reused) or its claim expires (the worker claims it and sends). A row
// that ends without an answer to record is unclaimed; one whose answer is
// recorded is unclaimed by Record. With ReuseWithin 0 nothing is claimed:
// every row is paid for, as asked.

// The wait between looks at a row another run holds (variables so that
// tests may shorten them).
var (
	claimPollMin = 250 * time.Millisecond
	claimPollMax = time.Second
)

// newHolder is a random run ID, the holder of the run's claims: no
// personal data, distinct across runs and hosts.
func newHolder() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// lease is how long a claim lasts unless renewed: longer than what one
// attempt may take after the claim (the budget's and the rate's waits,
// then the call, each bounded by about Timeout).
func (r *run) lease() time.Duration { return max(2*time.Minute, 3*r.cfg.Timeout) }

// recall is what the memory says before an attempt: it returns the
// reused outcome when the memory holds an answer that may be reused
// (recorded earlier, or by another run meanwhile), nil when the row may
// be sent, and false when the run stopped (or the memory failed) first.
// With reuse on it first makes the row's claim this run's, taking or
// renewing it, and waits while another run holds it.
func (r *run) recall(it *item) (*Outcome, bool) {
	m := r.cfg.Memory
	if m == nil || r.cfg.ReuseWithin <= 0 {
		return nil, true
	}
	if lc, ok := m.(LookupClaimer); ok {
		return r.lookupOrClaim(lc, it)
	}
	// An answer already remembered is reused without a claim: a claim
	// guards only a row that no run has answered yet, so a rerun of a
	// remembered list costs one lookup a row and no write.
	if !it.claimed {
		if o, ok := r.lookup(it); !ok || o != nil {
			return o, ok
		}
	}
	for {
		got, _, err := m.Claim(r.stopCtx, it.mkey, r.cfg.Endpoint, r.holder, r.cfg.Now(), r.lease())
		if err != nil {
			r.memoryLost("claim a row", err)
			return nil, false
		}
		// Refused: another run holds it, and nothing is this run's to end
		// (when this run held it, its claim expired between attempts).
		it.claimed = got
		// Claimed or not, the row may have been answered since it was
		// last looked up: a run that answered it has ended its claim.
		o, ok := r.lookup(it)
		if !ok || o != nil {
			return o, ok // a claim of this run is ended by process
		}
		if got {
			return nil, true
		}
		if err := sleepCtx(r.stopCtx, claimPoll()); err != nil || r.stopped() {
			return nil, false
		}
	}
}

// lookupOrClaim is recall with a LookupClaimer: one call a row, which
// reuses an answer or claims the row, and while another run holds it, the
// same call again every claimPollMin to claimPollMax. A CardClaimer counts
// the card's call with the claim, when the run has no budget (which would
// come first): reserve then takes that count.
func (r *run) lookupOrClaim(m LookupClaimer, it *item) (*Outcome, bool) {
	cc, join := m.(CardClaimer)
	// With a budget the card is counted after the budget's slot, as
	// reserve does: the count is not held while the run waits for it.
	join = join && r.budget == nil && r.cfg.MaxPerCard > 0
	if join && it.ckey == (MemoryKey{}) {
		it.ckey = m.CardKey(it.row.Fields.BankCard)
	}
	for {
		since := r.since()
		var rem Remembered
		var found, got bool
		var err error
		if join {
			var res CardReservation
			rem, found, got, _, res, err = cc.LookupOrClaimCard(r.stopCtx, it.mkey, r.cfg.Endpoint, since, r.reuses(since), r.holder, r.cfg.Now(), r.lease(),
				it.ckey, r.cfg.MaxPerCard)
			if err == nil && !found && got {
				it.counted = &res
			}
		} else {
			rem, found, got, _, err = m.LookupOrClaim(r.stopCtx, it.mkey, r.cfg.Endpoint, since, r.reuses(since), r.holder, r.cfg.Now(), r.lease())
		}
		if err != nil {
			r.memoryLost("look up or claim a row", err)
			return nil, false
		}
		if found {
			return reused(rem), true // a claim of this run is ended by process
		}
		if it.claimed = got; got {
			return nil, true
		}
		if err := sleepCtx(r.stopCtx, claimPoll()); err != nil || r.stopped() {
			return nil, false
		}
	}
}

// claimPoll is the wait before looking again at a row another run holds.
func claimPoll() time.Duration {
	d := claimPollMin
	if claimPollMax > claimPollMin {
		d += mrand.N(claimPollMax - claimPollMin + 1)
	}
	return d
}

// unclaim ends the row's claim when this run holds it: the row ends
// without an answer recorded.
func (r *run) unclaim(it *item) {
	if !it.claimed {
		return
	}
	it.claimed = false
	if err := r.cfg.Memory.Unclaim(r.callCtx, it.mkey, r.cfg.Endpoint, r.holder); err != nil {
		r.memoryLost("end a row's claim", err)
	}
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
		return
	}
	it.claimed = false // Record ended it
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
		if c := it.counted; c != nil { // not so: lookupOrClaim counts only without a budget
			it.counted = nil
			if c.OK {
				r.releaseCard(slot{card: true, cardK: it.ckey, cardID: c.ID})
			}
		}
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
	var res CardReservation
	if it.counted != nil {
		res, it.counted = *it.counted, nil // counted with the claim (lookupOrClaim)
	} else {
		res, err = m.ReserveCard(r.stopCtx, it.ckey, r.cfg.Now(), r.cfg.MaxPerCard)
	}
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
