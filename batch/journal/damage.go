package journal

import (
	"errors"
	"fmt"

	"github.com/bankcard4e/bankcard4e/batch"
)

// ErrDamaged is wrapped by the error Open returns for a journal damaged
// anywhere but a torn last line. Match it with errors.Is, or get the
// details with errors.As and *DamagedError.
var ErrDamaged = errors.New("journal is damaged")

// DamagedError is the error Open returns when a line of the journal other
// than a torn last one fails its check: a bit flip, a zeroed block, a line
// copied from another journal, a record that does not parse. The journal
// is not resumed (its rows might be paid for again without anyone
// knowing); the caller exits without sending anything.
type DamagedError struct {
	Path   string // the journal
	Line   int    // 1-based number of the first damaged line
	Reason string // what is wrong with it
	// Charged counts the rows whose final outcome, in the lines that do
	// check out, was charged: what --fresh would pay for again.
	Charged int
	// PossiblyCharged counts the attempts those lines record as possibly
	// charged (an answer lost, or a Result not in the table).
	PossiblyCharged int
}

// Error names the line and what --fresh would cost.
func (e *DamagedError) Error() string {
	cost := fmt.Sprintf("%d rows already charged would be charged again", e.Charged)
	if e.PossiblyCharged > 0 {
		cost += fmt.Sprintf(" (and %d possibly charged calls repeated)", e.PossiblyCharged)
	}
	return fmt.Sprintf("journal %q is damaged at line %d (%s), so it cannot be resumed safely and nothing was sent; restore it from a copy, or rerun with --fresh to start over: %s",
		e.Path, e.Line, e.Reason, cost)
}

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

// cost fills Charged and PossiblyCharged from what the sound lines hold.
func (e *DamagedError) cost(st *State) {
	for _, o := range st.Final {
		if o.Charged == batch.ChargedYes {
			e.Charged++
		}
		if o.Charged == batch.ChargedUnknown && o.Lost == 0 {
			e.PossiblyCharged++
		}
		e.PossiblyCharged += o.Lost
	}
	for _, c := range st.Carry {
		e.PossiblyCharged += c.Lost
	}
}
