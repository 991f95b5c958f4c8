package batch

import (
	"math"
	"time"
)

// Journal records what the run does so that a rerun resumes instead of
// paying twice. Attempt and Final return only once the record is durable.
// Implementations must be safe for concurrent use; the run calls them from
// every worker.
type Journal interface {
	// Attempt records that attempt n (1-based, counted over all runs) of
	// row is about to be sent.
	Attempt(row, n int) error
	// Answered records that attempt n of row got an answer that is not
	// final, so it was not lost.
	Answered(row, n int) error
	// Final records the row's final outcome for this run.
	Final(row int, o Outcome) error
}

// Counts are the attempts a row had in earlier runs without a final outcome.
type Counts struct {
	Calls int // attempts sent
	Lost  int // attempts whose answer never came: possibly charged
}

// Resume is what earlier runs left, replayed from the journal.
type Resume struct {
	Final map[int]Outcome // rows already final: not sent again
	Carry map[int]Counts  // rows with earlier attempts: their counts carry over
}

// Progress is a snapshot of a running run, for the progress bar and log lines.
type Progress struct {
	Done            int // rows written to the sink
	Answered        int // rows whose outcome is known, in any order (>= Done): moves with every answer
	Calls           int // attempts sent in this run
	Charged         int
	PossiblyCharged int
	Errors          int
	InFlight        int
	Elapsed         time.Duration
	PaceMilli       int // the adapted rate now, in thousandths of a request a second (counts only: no float); 0 with no --qps
	PaceCuts        int // times a throttle cut the pace so far
	Throttled       int // throttle answers so far
}

// Config holds the options of one run.
type Config struct {
	QPS          float64       // requests started per second, at most; <= 0: no limit
	Workers      int           // concurrent requests; 0: auto (AutoWorkers to start, then grown by Little's law from the latency seen, up to MaxWorkers)
	Attempts     int           // attempts per row in this run for retryable answers (--retries), throttles not counted; 0: 5
	Timeout      time.Duration // one request, as the verifier enforces it; 0: 10 s
	BackoffBase  time.Duration // first retry delay; 0: 250 ms
	BackoffMax   time.Duration // longest retry delay; 0: 10 s
	BreakerLimit int           // consecutive attempts without a final answer before the run aborts; 0: 50
	Window       int           // reorder window in rows; 0: 4096 + workers
	StallLimit   time.Duration // the run aborts when no call got a final answer for this long; 0: 5 minutes

	// Gate, when set, admits every attempt's start after the run's own
	// limiter: the budget shared by every run on the account (SPEC 12).
	Gate StartGate

	Journal Journal // nil: no journal
	Resume  *Resume // nil: nothing to resume

	// Repeats names the rows that occur more than once in the input (from
	// a RepeatFinder over a first pass): only their answers are kept for
	// de-duplication. nil: every distinct row's answer is kept.
	Repeats *Repeats

	// ClaimHolder names this job in the memory's row claims; "" draws a
	// random one per run. Give every run of one job (a resume after a
	// crash) the same holder, e.g. the journal's ID, so a rerun takes back
	// the claims its killed predecessor left at once instead of waiting for
	// their lease to end. At most 64 bytes; never personal data.
	ClaimHolder string

	// Memory of earlier answers and the card guard (SPEC section 11); nil:
	// none (no reuse, no recording, no card guard).
	Memory Memory
	// Endpoint is the service's scheme://host:port, as the memory records
	// and matches it: answers of another endpoint are not reused.
	Endpoint string
	// ReuseWithin: a row whose four elements got a final Result from
	// Endpoint at most this long ago is answered from the Memory; 0: never
	// reuse (answers are still recorded).
	ReuseWithin time.Duration
	// MaxPerCard: at most this many calls reach the service for one bank
	// card in any 24 hours, over every run sharing the Memory; rows over it
	// are deferred. 0: guard off. Needs Memory.
	MaxPerCard int
	// MaxCharged: the run stops sending (AbortBudget) before the job's
	// charged, possibly charged and in-flight calls, counted over its
	// resumed runs (Resume), would pass this. 0: no budget.
	MaxCharged int

	Now      func() time.Time // nil: time.Now
	Progress func(Progress)   // called each time a row's outcome arrives (in any order; Done counts rows written), from one goroutine; nil: none
}

// MaxWorkers caps the auto worker count.
const MaxWorkers = 1024

func (c Config) withDefaults() Config {
	if c.Attempts <= 0 {
		c.Attempts = 5
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 250 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 10 * time.Second
	}
	if c.BreakerLimit <= 0 {
		c.BreakerLimit = 50
	}
	if c.StallLimit <= 0 {
		c.StallLimit = 5 * time.Minute
	}
	if c.Workers <= 0 {
		c.Workers = AutoWorkers(c.QPS)
	}
	if c.Window <= 0 {
		c.Window = 4096 + c.Workers
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Progress == nil {
		c.Progress = func(Progress) {}
	}
	return c
}

// AutoWorkers is the worker count an auto-sized run starts with: what
// holds qps at a latency of one second with half again as many for
// headroom (Little's law: in flight = rate × latency), at least 4 and at
// most 64; with no rate limit, 64. The run grows it from the latency it
// sees (see sizer).
func AutoWorkers(qps float64) int {
	if qps <= 0 || math.IsInf(qps, 1) {
		return 64
	}
	return max(4, min(int(math.Ceil(qps*littleHeadroom))+2, 64))
}
