package journal

import "github.com/bankcard4e/bankcard4e/batch"

// State is what earlier runs left in a journal, replayed by Open.
type State struct {
	// Final holds the rows (batch.Row.Index) with a final outcome, one
	// whose Status is verified, duplicate or invalid: they must not be
	// sent again. (An error or not-attempted outcome is not final.) Calls
	// and Lost are cumulative over every run.
	Final map[int]batch.Outcome
	// Carry holds the rows without such an outcome that had attempts: the
	// attempts sent so far and how many of them got no answer (lost, so
	// possibly charged). The runner numbers the row's next attempt
	// Calls+1 and adds these counts to the row's outcome.
	Carry map[int]Counts
	// Errors holds the last error outcome of rows that ended in
	// batch.StatusError and are to be tried again (informational: what to
	// show if this run ends before retrying them).
	Errors map[int]batch.Outcome
	Runs   int // how many runs wrote to this journal before
	// Damaged is 1 when the last line was cut short (a crash mid-write
	// leaves one) and was cut away, else 0. Any other damage refuses the
	// resume (DamagedError).
	Damaged int
}

// Counts are the attempts of a row over every run and how many of them got
// no answer (lost, so possibly charged). It is batch.Counts, so State.Carry
// can be handed to batch.Resume as is.
type Counts = batch.Counts

// newState returns an empty State.
func newState() *State {
	return &State{Final: map[int]batch.Outcome{}, Carry: map[int]Counts{}, Errors: map[int]batch.Outcome{}}
}

// replay folds records into a State.
//
// Per row: a final record resets the row to the runner's own counts (its
// outcome's Calls and Lost already include what earlier runs carried); each
// attempt record after it adds a call, and is lost unless an N or F record
// for it follows. A non-error final is sticky: a later error final (which
// the runner never writes) cannot make the row be sent again.
type replay struct {
	st   *State
	rows map[int]*track // rows with records since their last final, or whose last final is an error
}

// track is a row's records since its last final record.
type track struct {
	base       Counts         // Calls and Lost of the last final record
	lastErr    *batch.Outcome // the last error final, if any
	calls      int            // attempt records since
	unanswered []int          // attempt numbers without an answer yet
}

func newReplay() *replay {
	return &replay{st: newState(), rows: map[int]*track{}}
}

// add folds one record in.
func (r *replay) add(rec record) {
	switch rec.kind {
	case kindRun:
		r.st.Runs++
	case kindAttempt:
		t := r.rows[rec.row]
		if t == nil {
			t = &track{}
			r.rows[rec.row] = t
		}
		t.calls++
		t.unanswered = append(t.unanswered, rec.n)
	case kindAnswered:
		if t := r.rows[rec.row]; t != nil {
			t.answer(rec.n)
		}
	case kindFinal:
		o := rec.outcome
		if isFinal(o.Status) {
			r.st.Final[rec.row] = o
			delete(r.rows, rec.row)
			return
		}
		if _, done := r.st.Final[rec.row]; done {
			return
		}
		t := &track{base: Counts{Calls: o.Calls, Lost: o.Lost}}
		if o.Status == batch.StatusError {
			t.lastErr = &o
		}
		r.rows[rec.row] = t
	}
}

// isFinal reports whether a row with this status must not be sent again.
// Errors are retried; "not attempted" (and anything unknown) is sent again.
func isFinal(s batch.Status) bool {
	return s == batch.StatusVerified || s == batch.StatusDuplicate || s == batch.StatusInvalid
}

// answer marks the latest unanswered attempt numbered n as answered.
func (t *track) answer(n int) {
	for i := len(t.unanswered) - 1; i >= 0; i-- {
		if t.unanswered[i] == n {
			t.unanswered = append(t.unanswered[:i], t.unanswered[i+1:]...)
			return
		}
	}
}

// state finishes the replay.
func (r *replay) state() *State {
	for row, t := range r.rows {
		c := Counts{Calls: t.base.Calls + t.calls, Lost: t.base.Lost + len(t.unanswered)}
		if o, done := r.st.Final[row]; done {
			// Attempts after a non-error final: the runner never makes
			// them, but if it did they were paid for all the same.
			o.Calls += c.Calls
			o.Lost += c.Lost
			r.st.Final[row] = o
			continue
		}
		if c.Calls > 0 || c.Lost > 0 {
			r.st.Carry[row] = c
		}
		if t.lastErr != nil {
			r.st.Errors[row] = *t.lastErr
		}
	}
	return r.st
}
