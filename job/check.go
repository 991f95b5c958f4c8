package job

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fileutil"
	"github.com/bankcard4e/bankcard4e/reader"
)

// checkListed is how many invalid rows check prints one by one.
const checkListed = 20

// CheckReportListed is how many invalid rows the --report JSON lists.
const CheckReportListed = 1000

// CheckReport is what check found, and its --report JSON.
type CheckReport struct {
	Input           string         `json:"input"`
	InputSHA256     string         `json:"input_sha256"`
	Rows            int            `json:"rows"`
	Blank           int            `json:"blank"`
	Valid           int            `json:"valid"`
	Invalid         int            `json:"invalid"`
	InvalidByReason map[string]int `json:"invalid_by_reason"`
	InvalidRows     []CheckInvalid `json:"invalid_rows"` // the first 1000
	Duplicates      int            `json:"duplicates"`
	Memory          string         `json:"memory"`         // the memory read: its path or redacted URL, or why none
	MemoryAnswers   int            `json:"memory_answers"` // distinct valid rows the memory would answer
	Calls           int            `json:"calls"`
	QPS             float64        `json:"qps"`
	MaxSeconds      float64        `json:"max_seconds"`
	Price           *float64       `json:"price"`
	MaxCost         *float64       `json:"max_cost"`
	Currency        string         `json:"currency,omitempty"`
	Sheet           string         `json:"sheet,omitempty"` // XLSX: the sheet read
	HeaderRow       int            `json:"header_row"`      // the header's 1-based row

	read reader.Input // where the rows came from, for PrintInput
}

// PrintInput writes, for the console (stderr), which sheet and header row
// check read (for CSV the delimiter when not a comma) and each reader note
// once.
func (rep *CheckReport) PrintInput(w io.Writer) { printInput(w, rep.read) }

// CheckInvalid is one invalid row: its row number in the file and why.
type CheckInvalid struct {
	Row    int    `json:"row"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Check reads every row of input, offline, and counts what a verify at
// qps and price would do: calls, the longest duration, the highest cost.
func Check(input string, o reader.Options, qps float64, price *float64) (*CheckReport, error) {
	return CheckWithMemory(context.Background(), input, o, qps, price, CheckMemory{Off: true})
}

// CheckWithMemory is Check that also counts the rows the memory m would
// answer (and leaves them out of the calls). It never creates a memory.
func CheckWithMemory(ctx context.Context, input string, o reader.Options, qps float64, price *float64, m CheckMemory) (*CheckReport, error) {
	mem, what, err := openCheckMemory(ctx, m)
	if err != nil {
		return nil, err
	}
	var answered func(batch.Fields) (bool, error)
	if mem != nil {
		defer mem.Close()
		since := time.Now().Add(-m.ReuseWithin)
		answered = func(f batch.Fields) (bool, error) {
			r, ok, err := mem.Lookup(ctx, mem.RowKey(f), m.Endpoint, since)
			return ok && r.Result != "-18" && r.Result != "-19", err
		}
	}
	rep, err := checkInput(input, o, answered)
	if err != nil {
		return nil, err
	}
	rep.Memory = what
	rep.Calls -= rep.MemoryAnswers
	rep.QPS = qps
	rep.MaxSeconds = float64(rep.Calls) / qps
	if price != nil {
		cost := float64(rep.Calls) * *price
		rep.Price, rep.MaxCost = price, &cost
	}
	return rep, nil
}

// checkInput reads every row of input and counts the rows.
func checkInput(input string, o reader.Options, answered func(batch.Fields) (bool, error)) (*CheckReport, error) {
	r, err := reader.Open(input, o)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The fingerprint is a second read of the file: on another core, while
	// the rows are read.
	type digest struct {
		sum string
		err error
	}
	fp := make(chan digest, 1)
	go func() {
		sum, _, err := fileutil.HashFile(input)
		fp <- digest{sum, err}
	}()
	rep, err := countInput(r, input, answered)
	d := <-fp
	if err != nil {
		return nil, err
	}
	if d.err != nil {
		return nil, d.err
	}
	rep.InputSHA256 = d.sum
	return rep, nil
}

// countInput reads every row of r and counts what a verify would do with it.
// answered, when not nil, says whether the memory would answer a row.
func countInput(r *reader.Reader, input string, answered func(batch.Fields) (bool, error)) (*CheckReport, error) {
	rep := &CheckReport{Input: input, InvalidByReason: map[string]int{}, InvalidRows: []CheckInvalid{}}
	// Half of each key of the rows that would be sent, sorted at the end to
	// count duplicates: a slice of integers is a fifth the memory of a map
	// and several times faster at a million rows. Two distinct rows share a
	// 64-bit half by chance about once in 10^7 million-row files, which
	// would make the count one too high; verify itself uses whole keys.
	keyer := batch.NewKeyer()
	keys := make([]uint64, 0, sizeHint(input))
	seen := map[batch.Key]bool{} // rows looked up in the memory: each distinct row counts once
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rep.Rows++
		if p := row.Problem; p != nil {
			rep.Invalid++
			rep.InvalidByReason[reader.Category(p)]++
			if len(rep.InvalidRows) < CheckReportListed {
				rep.InvalidRows = append(rep.InvalidRows, CheckInvalid{Row: row.Line, Field: p.Field, Reason: p.Reason})
			}
			continue
		}
		rep.Valid++
		k := keyer.Key(row.Fields)
		keys = append(keys, k[0])
		if answered != nil && !seen[k] {
			seen[k] = true
			ok, err := answered(row.Fields)
			if err != nil {
				return nil, fmt.Errorf("memory: %w", err)
			}
			if ok {
				rep.MemoryAnswers++
			}
		}
	}
	rep.Duplicates = countRepeats(keys)
	rep.Blank = r.Blank()
	rep.read = r.Input()
	rep.Sheet, rep.HeaderRow = rep.read.Sheet, rep.read.HeaderRow
	rep.Calls = rep.Valid - rep.Duplicates
	return rep, nil
}

// countRepeats sorts keys and counts those equal to the one before: the
// rows that are copies of an earlier row.
func countRepeats(keys []uint64) int {
	slices.Sort(keys)
	n := 0
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			n++
		}
	}
	return n
}

// sizeHint guesses the row count of a file from its size (a customer row
// takes some 60–100 bytes), so the duplicate index is sized once.
func sizeHint(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return int(min(fi.Size()/80, 1<<22))
}

// Print writes the human summary of a check.
func (rep *CheckReport) Print(w io.Writer) {
	fmt.Fprintf(w, "input:               %s\n", rep.Input)
	fmt.Fprintf(w, "sha256:              %s\n", rep.InputSHA256)
	fmt.Fprintf(w, "rows:                %d\n", rep.Rows)
	fmt.Fprintf(w, "blank rows skipped:  %d\n", rep.Blank)
	fmt.Fprintf(w, "valid:               %d\n", rep.Valid)
	fmt.Fprintf(w, "invalid:             %d\n", rep.Invalid)
	reasons := make([]string, 0, len(rep.InvalidByReason))
	for k := range rep.InvalidByReason {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := rep.InvalidByReason[reasons[i]], rep.InvalidByReason[reasons[j]]
		return a > b || a == b && reasons[i] < reasons[j]
	})
	for _, k := range reasons {
		fmt.Fprintf(w, "  %s: %d\n", k, rep.InvalidByReason[k])
	}
	fmt.Fprintf(w, "duplicates:          %d\n", rep.Duplicates)
	if rep.Memory != "" {
		fmt.Fprintf(w, "memory:              %s\n", rep.Memory)
		fmt.Fprintf(w, "memory would answer: %d\n", rep.MemoryAnswers)
	}
	fmt.Fprintf(w, "calls to make:       %d\n", rep.Calls)
	fmt.Fprintf(w, "%-20s %s (calls / qps, before retries)\n", fmt.Sprintf("longest at %g/s:", rep.QPS), checkDuration(rep.MaxSeconds))
	if rep.MaxCost != nil {
		cur := ""
		if rep.Currency != "" {
			cur = " " + rep.Currency
		}
		fmt.Fprintf(w, "highest cost:        %.2f%s (%d calls × %g%s)\n", *rep.MaxCost, cur, rep.Calls, *rep.Price, cur)
	}
	if rep.Invalid > 0 {
		fmt.Fprintln(w, "invalid rows:")
		for i, x := range rep.InvalidRows {
			if i == checkListed {
				break
			}
			fmt.Fprintf(w, "  row %d: %s: %s\n", x.Row, x.Field, x.Reason)
		}
		if more := rep.Invalid - min(rep.Invalid, checkListed); more > 0 {
			fmt.Fprintf(w, "  … and %d more\n", more)
		}
	}
}

// checkDuration formats seconds for people: to the second above ten
// seconds, else to the hundredth.
func checkDuration(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d >= 10*time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// Write writes the JSON report to path atomically, readable only by its
// owner.
func (rep *CheckReport) Write(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = fileutil.WriteFile(path, append(data, '\n'))
	}
	if err != nil {
		return fmt.Errorf("write report %q: %w", path, err)
	}
	return nil
}

// Ensure reader.Reader is a batch.Source, as verify uses it.
var _ batch.Source = (*reader.Reader)(nil)
