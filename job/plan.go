// Package job runs one verify job end to end: it opens and fingerprints
// the input, checks every path it will write before the first call (and
// locks them), applies the rerun rules, runs the batch with the journal,
// writes the output and the side files, and classifies the outcome as an
// exit code. Package main only turns flags into a Plan and the result into
// an exit code; the benchmarks drive the same Run.
package job

import (
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
)

// Plan is everything one run needs: the parsed options, as plain fields,
// and the services it uses, injected. A new option is a new field here
// plus the few lines in Run that use it.
type Plan struct {
	// The files.
	Input   string // .csv or .xlsx list
	Out     string // .xlsx or .csv; "" → <input stem>.results.xlsx beside the input
	Journal string // resume journal; "" → <Out>.journal
	Report  string // --report JSON; "" → none
	Metrics string // --metrics Prometheus textfile; "" → none

	// How the input is read.
	Read    reader.Options // Sheet, Columns, NoPrecheck (Digest is set by Run)
	Columns []string       // --column as given, recorded in the journal

	// How the batch runs: QPS, Workers, Attempts, Timeout. Run sets
	// Journal, Resume, Progress and Now.
	Batch batch.Config

	Price    *float64 // price of one charged call; nil: no cost lines
	Currency string   // --currency, shown next to every cost; "" none

	// Encrypt and EncryptionAlgorithm are recorded in the journal: a
	// resume with another algorithm is refused (the Verifier does the
	// encrypting).
	Encrypt             bool
	EncryptionAlgorithm string

	Memory MemoryPlan // the memory of earlier answers, the card guard, the budget, --shared (memory.go)

	Fresh     bool // start over, ignoring the journal and an earlier result of this input
	Force     bool // replace an existing output that is not a result of this input
	Mask      bool // mask personal data in the output sheet
	Simulated bool // the service charges nothing: a repeat of a finished list is not refused

	Endpoint string // the service as the report names it
	Version  string // the tool's version, for the journal and the report

	// The services.
	Verifier batch.Verifier   // the service, or a simulator's client
	Now      func() time.Time // nil: time.Now
	Console  io.Writer        // messages and the final summary; nil: discarded
	Progress Progress         // nil: none
}

// Progress shows a run as it goes. Start is called once with the number
// of data rows, before the first call; Update from one goroutine after each
// answer, in any order (batch.Progress.Answered); Stop once after the last.
type Progress interface {
	Start(total int)
	Update(batch.Progress)
	Stop()
}

// withDefaults fills the derived paths and the nil services.
func (p Plan) withDefaults() Plan {
	if p.Out == "" {
		p.Out = strings.TrimSuffix(p.Input, filepath.Ext(p.Input)) + ".results.xlsx"
	}
	if p.Journal == "" {
		p.Journal = p.Out + ".journal"
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Console == nil {
		p.Console = io.Discard
	}
	if p.Progress == nil {
		p.Progress = noProgress{}
	}
	return p
}

type noProgress struct{}

func (noProgress) Start(int)             {}
func (noProgress) Update(batch.Progress) {}
func (noProgress) Stop()                 {}

// outIsXLSX reports whether the output is a workbook.
func (p *Plan) outIsXLSX() bool { return strings.EqualFold(filepath.Ext(p.Out), ".xlsx") }
