// Package batch runs a customer list through the verifier: rows in, a rate
// limiter, workers, retries, de-duplication, a journal for resume, results out
// in input order, and the tally of what was charged.
//
// batch owns the types that travel between the packages (Row, Fields, Answer,
// Outcome, Report) and the small interfaces it consumes (Source, Verifier,
// Sink, Journal). The reader, verifier and writer packages import batch for
// these types; batch imports none of them.
package batch

import (
	"context"
	"fmt"
	"hash/maphash"
	"time"
)

// Field names, as used in messages, in --column and in Problem.Field.
const (
	FieldName     = "name"
	FieldBankCard = "bankcard"
	FieldPhone    = "phone"
	FieldIDCard   = "idcard"
	FieldCertType = "certtype"
)

// Fields are the values sent to the service, already normalised.
type Fields struct {
	Name     string
	BankCard string
	Phone    string
	IDCard   string
	CertType string // "" or "0"
}

// Header is the recognised header row of the input.
type Header struct {
	Cells []string // every header cell, in file order
	// Column index of each field in Cells; -1 when absent (only CertType may be).
	Name, BankCard, Phone, IDCard, CertType int
}

// Problem says why a row failed local checks. It is data, not an error.
type Problem struct {
	Field  string // one of the Field* constants
	Reason string // e.g. "check character is 3, want X"
}

// String formats the problem as it appears in the Error column.
func (p *Problem) String() string {
	if p == nil {
		return ""
	}
	return p.Field + ": " + p.Reason
}

// Row is one non-blank data row of the input.
type Row struct {
	Index   int      // 0-based position among data rows: the output order
	Line    int      // 1-based row number in the file (CSV record or sheet row), for messages
	Cells   []string // every cell as read, padded or cut to len(Header.Cells)
	Fields  Fields   // normalised values
	Problem *Problem // nil when the row passed local checks (or --no-precheck let it through)
}

// Source yields the rows of one input in file order.
//
// Next blocks while it reads, returns io.EOF after the last row, and is not
// safe for concurrent use. Header is valid from construction on. Blank
// reports the all-blank rows skipped so far.
type Source interface {
	Header() Header
	Next() (Row, error)
	Blank() int
}

// Class is what one answer of the service means (SPEC section 6).
type Class int

// The classes of SPEC section 6.
const (
	ClassInvalid  Class = iota // zero value: not an answer
	ClassCharged               // final Result, billed
	ClassFree                  // final Result, not billed
	ClassUnknown               // final Result not in the table: possibly charged
	ClassBusy                  // Result -18: retried; after the last attempt final and free
	ClassRetry                 // retryable, not charged: 5xx, InternalError, ..., failure before the request was written
	ClassThrottle              // RequestLimitExceeded and its sub-codes: retried, slows the whole pool
	ClassLost                  // no answer after the request was written: retried, possibly charged
	ClassAbort                 // AuthFailure.*, UnauthorizedOperation.*, ...: the run stops
	ClassRowError              // any other error code: the row ends in error, not charged
)

var classNames = [...]string{"invalid", "charged", "free", "unknown", "busy", "retry", "throttle", "lost", "abort", "row-error"}

// String names the class.
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Final reports whether an answer of this class ends the row without a retry.
func (c Class) Final() bool {
	return c == ClassCharged || c == ClassFree || c == ClassUnknown || c == ClassRowError
}

// Answer is the outcome of one attempt.
type Answer struct {
	Class       Class
	Result      string // Response.Result, for result answers
	Description string // Response.Description
	RequestID   string // Response.RequestId, when the service gave one
	Code        string // Response.Error.Code, or a transport label such as "HTTP 503" or "Timeout"
	Message     string // Response.Error.Message, or the transport error text (never holds personal data)
}

// ErrorText is the text of the Error column for an error answer: "Code: Message".
func (a Answer) ErrorText() string {
	if a.Code == "" {
		return a.Message
	}
	if a.Message == "" {
		return a.Code
	}
	return a.Code + ": " + a.Message
}

// Verifier makes one signed attempt for one row.
//
// Verify blocks until the service answers, the attempt fails, or ctx is done
// (then the answer is ClassLost if the request had been written, ClassRetry
// if not). It never returns a Go error: every failure is an Answer. It is
// safe for concurrent use. A Verifier that sends over a connection calls
// the function WrittenFunc(ctx) gives, when there is one, right after each
// write of the request's bytes to the connection returns: the run's rate
// guard counts a start from when its request went out.
type Verifier interface {
	Verify(ctx context.Context, f Fields) Answer
}

// writtenKey is the context key of WithWritten.
type writtenKey struct{}

// WithWritten returns ctx carrying f, for a Verifier to call with the
// time each write of the attempt's request to the connection ended.
func WithWritten(ctx context.Context, f func(time.Time)) context.Context {
	return context.WithValue(ctx, writtenKey{}, f)
}

// WrittenFunc is the function WithWritten put in ctx, or nil.
func WrittenFunc(ctx context.Context) func(time.Time) {
	f, _ := ctx.Value(writtenKey{}).(func(time.Time))
	return f
}

// Status is the Status column of a row.
type Status string

// The statuses of SPEC section 8.
const (
	StatusVerified     Status = "verified"
	StatusReused       Status = "reused" // answered from the memory of earlier runs (SPEC 11): no call
	StatusDuplicate    Status = "duplicate"
	StatusInvalid      Status = "invalid"
	StatusDeferred     Status = "deferred" // held back by the card guard (--max-per-card); a later run sends it
	StatusError        Status = "error"
	StatusNotAttempted Status = "not attempted"
)

// Charged is the Charged column of a row.
type Charged string

// The values of the Charged column.
const (
	ChargedYes     Charged = "yes"
	ChargedNo      Charged = "no"
	ChargedUnknown Charged = "unknown"
)

// Outcome is the final state of one row. It holds no personal data, so it
// can be journaled as is.
type Outcome struct {
	Status      Status  `json:"s"`
	Result      string  `json:"r,omitempty"`
	Description string  `json:"d,omitempty"`
	Charged     Charged `json:"c,omitempty"`
	RequestID   string  `json:"q,omitempty"`
	Error       string  `json:"e,omitempty"`
	Calls       int     `json:"n,omitempty"` // attempts sent for this row, over every run
	Lost        int     `json:"l,omitempty"` // attempts whose answer was lost: possibly charged
	// AnsweredAt is when the service gave the answer (UTC), for verified,
	// reused and duplicate rows; zero otherwise. For a deferred row it is
	// when the card may be checked again.
	AnsweredAt time.Time `json:"t,omitzero"`
	Duplicate  int       `json:"-"` // for StatusDuplicate: Index of the first copy
}

// Result is one finished row, as the sink receives it.
type Result struct {
	Row     Row
	Outcome Outcome
}

// Sink receives finished rows in input order. Write blocks while it writes
// and is not safe for concurrent use; an error from it ends the run.
type Sink interface {
	Write(r *Result) error
}

// TallyEntry is one line of the tally: a result code and how many rows got it.
type TallyEntry struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Class       string `json:"class"` // "charged", "free" or "unknown"
	Count       int    `json:"count"`
}

// Report is the summary of a run: the Summary sheet, the --report JSON,
// the metrics and the console summary are all made from it.
type Report struct {
	Input           string         `json:"input"`
	InputSHA256     string         `json:"input_sha256"`
	Output          string         `json:"output,omitempty"`
	Rows            int            `json:"rows"`
	Blank           int            `json:"blank"`
	Sheet           string         `json:"sheet,omitempty"` // XLSX sheet read; "" for CSV
	HeaderRow       int            `json:"header_row"`      // 1-based row of the header in the file or sheet
	Verified        int            `json:"verified"`
	Reused          int            `json:"reused"`
	Deferred        int            `json:"deferred"`
	Verdicts        map[string]int `json:"verdicts"` // rows by Verdict, every verdict present
	Duplicates      int            `json:"duplicates"`
	Invalid         int            `json:"invalid"`
	Errors          int            `json:"errors"`
	NotAttempted    int            `json:"not_attempted"`
	Calls           int            `json:"calls"`
	Charged         int            `json:"charged"`
	Free            int            `json:"free"`
	UnknownResults  int            `json:"unknown_results"`
	PossiblyCharged int            `json:"possibly_charged"`
	ByResult        map[string]int `json:"by_result"`
	ByError         map[string]int `json:"by_error"`        // rows that ended in error, by the code of their last answer
	Retried         map[string]int `json:"retried_by_code"` // answers that were retried (throttles, 5xx, lost, busy), by code
	Tally           []TallyEntry   `json:"tally"`
	Price           *float64       `json:"price"`
	Cost            *float64       `json:"cost"`
	Currency        string         `json:"currency,omitempty"`
	MaxCost         *float64       `json:"max_cost"` // (charged + possibly_charged) × price
	StartedAt       time.Time      `json:"started_at"`
	FinishedAt      time.Time      `json:"finished_at"`
	DurationSeconds float64        `json:"duration_seconds"`
	Endpoint        string         `json:"endpoint"`
	QPS             float64        `json:"qps"`
	Version         string         `json:"version"`
	Resumed         bool           `json:"resumed"`
	Aborted         bool           `json:"aborted"`
	AbortReason     string         `json:"abort_reason"`
	AbortCode       AbortCode      `json:"abort_code,omitempty"`
	Interrupted     bool           `json:"interrupted"`
	Throttled       int            `json:"throttled"`  // RequestLimitExceeded answers (retried, not charged)
	PaceCuts        int            `json:"pace_cuts"`  // times a throttle cut the pace
	LowestQPS       float64        `json:"lowest_qps"` // the lowest pace of the run; QPS when never cut (0 with no --qps)
	Workers         int            `json:"workers"`    // the most workers the run had
	ExitCode        int            `json:"exit_code"`
}

// Keyer makes de-duplication keys: rows with equal normalised fields get
// equal keys, distinct rows distinct ones (two independent 64-bit seeded
// hashes: a chance collision among a million rows is about 1 in 10^26).
// Keys live only in memory and mean nothing without the Keyer's random
// seeds. A Keyer is safe for concurrent use.
type Keyer struct{ a, b maphash.Seed }

// NewKeyer returns a Keyer with fresh random seeds: keys from different
// Keyers do not compare.
func NewKeyer() Keyer { return Keyer{a: maphash.MakeSeed(), b: maphash.MakeSeed()} }

// Key is the de-duplication key of f. CertType "0" and "" are the same:
// 0, the resident ID card, is the default.
func (k Keyer) Key(f Fields) Key {
	ct := f.CertType
	if ct == "0" {
		ct = ""
	}
	// The fields, each ended by a 0 byte (which no field holds), in one
	// buffer: on the stack for any real row.
	var stack [160]byte
	buf := stack[:0]
	for _, s := range [...]string{f.Name, f.BankCard, f.Phone, f.IDCard, ct} {
		buf = append(buf, s...)
		buf = append(buf, 0)
	}
	return Key{maphash.Bytes(k.a, buf), maphash.Bytes(k.b, buf)}
}

// Key is a de-duplication key made by a Keyer.
type Key [2]uint64

// AbortCode says, as data, why a run stopped sending before every row had
// a final outcome; AbortReason says it in words.
type AbortCode string

// The reasons a run aborts (exit 3).
const (
	AbortService    AbortCode = "service"     // the service answered with an abort code (auth, arrears, …)
	AbortBreaker    AbortCode = "breaker"     // the circuit breaker: no final answers
	AbortLocal      AbortCode = "local"       // a local failure retrying cannot mend: certificate, proxy, DNS
	AbortBudget     AbortCode = "budget"      // --max-charged reached
	AbortSharedLost AbortCode = "shared-lost" // the shared limiter or memory became unreachable
)

// The Codes of local failures that retrying cannot mend (SPEC section 6).
// The verifier answers them as ClassAbort, and the run aborts with
// AbortLocal instead of AbortService.
const (
	CodeCertificate = "Certificate" // the server's TLS certificate is not trusted
	CodeProxy       = "Proxy"       // the proxy refuses (407, 403) or cannot be reached
	CodeDNS         = "DNS"         // the endpoint's name does not resolve
)

// IsLocalFailure reports whether an answer's Code is a local failure.
func IsLocalFailure(code string) bool {
	return code == CodeCertificate || code == CodeProxy || code == CodeDNS
}

// StartGate admits the start of every attempt on top of the run's own
// limiter, for a budget shared by every run on one account (SPEC section
// 12). Wait blocks until one start is allowed or ctx is done, and returns
// ctx's error then; any other error means the gate is lost, so the run
// stops sending and aborts with AbortSharedLost. It is safe for concurrent
// use.
type StartGate interface {
	Wait(ctx context.Context) error
}
