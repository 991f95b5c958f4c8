package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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
	var fp <-chan digest
	var ad *asyncDigest
	var stop chan struct{}
	if strings.EqualFold(filepath.Ext(input), ".csv") {
		// The reader reads every byte of a CSV file once (for its
		// encoding, or its rows): the fingerprint hashes those bytes, on
		// another core, rather than reading the file again.
		ad = newAsyncDigest()
		defer ad.close()
		if o.Digest != nil {
			o.Digest = io.MultiWriter(o.Digest, ad)
		} else {
			o.Digest = ad
		}
		fp = ad.out
	} else {
		// A read of the file of its own, on another core, started first so
		// that it runs while Open reads the workbook's parts on one.
		stop = make(chan struct{})
		fp = fingerprint(input, stop)
	}
	r, err := reader.Open(input, o)
	if err != nil {
		if stop != nil {
			close(stop)
			<-fp // it stops within a chunk: the file is closed on return
		}
		return nil, err
	}
	defer r.Close()
	var between func() // for the rows' loop to hash the CSV's bytes read
	if ad != nil {
		between = ad.help
	}
	rep, err := countInput(r, input, answered, between)
	if ad != nil {
		ad.close() // the reader has fed it the whole file, once it read every row
	}
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

// asyncDigest is an io.Writer that hashes what is written to it off the
// writer's goroutine; close ends the input, and out then receives the hex
// SHA-256. Each write is copied (the writer may reuse its buffer) into a
// queue. The rows' consumer hashes the queue between rows (help): the
// reading goroutine is a check's critical path, and a third busy goroutine
// on two cores took turns with it. A goroutine of its own hashes the queue
// when it grows (as while Open scans the file before the rows are read),
// and a Write that finds the queue full hashes it itself: Write never waits
// for anyone to take the chunks. Write is called from one goroutine at a
// time.
type asyncDigest struct {
	mu     sync.Mutex // guards queue, free and closed
	queue  [][]byte   // written, not yet hashed, in order
	queued int        // bytes in queue
	spare  [][]byte   // the queue's other slice, swapped with it
	free   [][]byte   // hashed chunks, for their buffers to be reused
	closed bool

	// hashing is held to take the queue and hash it: the chunks are
	// hashed in the order written.
	hashing sync.Mutex
	fp      *fileutil.Fingerprint
	done    bool // the sum is taken

	wake chan struct{} // the queue grew: the hashing goroutine hashes it
	out  chan digest
}

// Queue lengths of asyncDigest, in writes (the reader's chunks, some 64 KiB
// each, more for long records) and bytes: at digestWake the hashing
// goroutine is woken, at digestQueue Write hashes the queue itself.
const (
	digestWake       = 4
	digestWakeBytes  = 256 << 10
	digestQueue      = 32
	digestQueueBytes = 2 << 20
)

func newAsyncDigest() *asyncDigest {
	d := &asyncDigest{fp: fileutil.NewFingerprint(), wake: make(chan struct{}, 1), out: make(chan digest, 1)}
	go func() {
		for range d.wake {
			d.hashQueue(true)
		}
		d.hashQueue(true)
		d.hashing.Lock()
		d.done = true
		sum, _ := d.fp.Sum()
		d.hashing.Unlock()
		d.out <- digest{sum: sum}
	}()
	return d
}

func (d *asyncDigest) Write(p []byte) (int, error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		// A read ahead that goes on after the rows' reader failed: the
		// fingerprint is not used then.
		return 0, errDigestClosed
	}
	var b []byte
	if n := len(d.free); n > 0 {
		b, d.free = d.free[n-1], d.free[:n-1]
	}
	d.queue = append(d.queue, append(b[:0], p...))
	d.queued += len(p)
	full := len(d.queue) >= digestQueue || d.queued >= digestQueueBytes
	if !full && (len(d.queue) >= digestWake || d.queued >= digestWakeBytes) {
		select {
		case d.wake <- struct{}{}:
		default: // already woken
		}
	}
	d.mu.Unlock()
	if full {
		d.hashQueue(true)
	}
	return len(p), nil
}

var errDigestClosed = errors.New("fingerprint already taken")

// help hashes what is queued, unless someone else is hashing: the rows'
// consumer calls it between rows.
func (d *asyncDigest) help() { d.hashQueue(false) }

// hashQueue takes the queue and hashes it; wait says whether to wait for
// another goroutine hashing, or else to leave the queue to it.
func (d *asyncDigest) hashQueue(wait bool) {
	if wait {
		d.hashing.Lock()
	} else if !d.hashing.TryLock() {
		return
	}
	defer d.hashing.Unlock()
	d.mu.Lock()
	q := d.queue
	d.queue, d.spare, d.queued = d.spare[:0], nil, 0
	d.mu.Unlock()
	if len(q) == 0 {
		d.mu.Lock()
		d.spare = q
		d.mu.Unlock()
		return
	}
	if !d.done {
		for _, b := range q {
			d.fp.Write(b)
		}
	}
	d.mu.Lock()
	for _, b := range q {
		if len(d.free) < digestQueue && cap(b) <= digestWakeBytes { // not a long record's
			d.free = append(d.free, b)
		}
	}
	clear(q)
	d.spare = q[:0]
	d.mu.Unlock()
}

// close ends the input; calling it again does nothing.
func (d *asyncDigest) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		close(d.wake)
	}
}

// digest is the outcome of fingerprint.
type digest struct {
	sum string
	err error
}

// fingerprintChunk is how much fingerprint reads between looks at its stop
// channel.
const fingerprintChunk = 256 << 10

// fingerprint hashes the file at path on a goroutine of its own and sends
// the hex SHA-256 on the channel it returns; closing stop ends it early
// (with errFingerprintStopped).
func fingerprint(path string, stop <-chan struct{}) <-chan digest {
	out := make(chan digest, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			out <- digest{err: fmt.Errorf("open input %q: %w", path, err)}
			return
		}
		defer f.Close()
		fp := fileutil.NewFingerprint()
		buf := make([]byte, fingerprintChunk)
		for {
			select {
			case <-stop:
				out <- digest{err: errFingerprintStopped}
				return
			default:
			}
			n, err := f.Read(buf)
			fp.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				out <- digest{err: fmt.Errorf("read input %q: %w", path, err)}
				return
			}
		}
		sum, _ := fp.Sum()
		out <- digest{sum: sum}
	}()
	return out
}

// errFingerprintStopped is the outcome of a fingerprint stopped early.
var errFingerprintStopped = errors.New("fingerprint stopped")

// helpEvery is how many rows countInput reads between calls of between:
// the reader reads some 64 KiB of a CSV file every 800 rows or so.
const helpEvery = 128

// countInput reads every row of r and counts what a verify would do with it.
// answered, when not nil, says whether the memory would answer a row;
// between, when not nil, is called every helpEvery rows.
func countInput(r *reader.Reader, input string, answered func(batch.Fields) (bool, error), between func()) (*CheckReport, error) {
	rep := &CheckReport{Input: input, InvalidByReason: map[string]int{}, InvalidRows: []CheckInvalid{}}
	// A 64-bit hash of each row that would be sent (rowHash, or half its key
	// when the memory is asked), sorted at the end to count duplicates:
	// slices of integers are a fifth the memory of a map and several times
	// faster at a million rows. Two distinct rows share a 64-bit hash by
	// chance about once in 10^7 million-row files, which would make the
	// count one too high; verify itself uses whole keys.
	keyer := batch.NewKeyer()
	seed := maphash.MakeSeed() // for rowHash, when the memory is not asked
	keys := newRepeats(sizeHint(input))
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
		if between != nil && rep.Rows%helpEvery == 0 {
			between()
		}
		if p := row.Problem; p != nil {
			rep.Invalid++
			rep.InvalidByReason[reader.Category(p)]++
			if len(rep.InvalidRows) < CheckReportListed {
				rep.InvalidRows = append(rep.InvalidRows, CheckInvalid{Row: row.Line, Field: p.Field, Reason: p.Reason})
			}
			continue
		}
		rep.Valid++
		if answered == nil {
			keys.add(rowHash(seed, row.Fields))
			continue
		}
		k := keyer.Key(row.Fields)
		keys.add(k[0])
		if !seen[k] {
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
	rep.Duplicates = keys.count()
	rep.Blank = r.Blank()
	rep.read = r.Input()
	rep.Sheet, rep.HeaderRow = rep.read.Sheet, rep.read.HeaderRow
	rep.Calls = rep.Valid - rep.Duplicates
	return rep, nil
}

// rowHash is a 64-bit seeded hash of the fields batch.Keyer keys, laid out
// as it lays them out (each field ended by a 0 byte, cert type "0" as ""):
// rows with equal keys have equal hashes. It is half the work of a Key,
// for a count that uses only half of each key.
func rowHash(seed maphash.Seed, f batch.Fields) uint64 {
	ct := f.CertType
	if ct == "0" {
		ct = ""
	}
	var stack [160]byte // on the stack for any real row
	buf := stack[:0]
	for _, s := range [...]string{f.Name, f.BankCard, f.Phone, f.IDCard, ct} {
		buf = append(buf, s...)
		buf = append(buf, 0)
	}
	return maphash.Bytes(seed, buf)
}

// repeats counts the keys added that equal one added before: the rows that
// are copies of an earlier row. The keys are hashes, spread evenly: they are
// dealt as they come into 256 parts by their top 8 bits, and as equal keys
// share a part, the parts are counted one at a time, each in a hash set
// small enough at a million keys (some 64 KiB) to stay in the cache. That
// is several times faster than sorting the keys, and leaves little to do
// once the last row is read.
type repeats struct{ parts [256][]uint64 }

// newRepeats returns a repeats for about hint keys.
func newRepeats(hint int) *repeats {
	r := &repeats{}
	if per := hint / len(r.parts); per > 0 {
		// hint is on the high side (sizeHint): a part larger by chance
		// than its share of it is rare, and grows.
		for i := range r.parts {
			r.parts[i] = make([]uint64, 0, per)
		}
	}
	return r
}

func (r *repeats) add(k uint64) {
	p := &r.parts[k>>56]
	*p = append(*p, k)
}

// count returns how many keys added equal one added before them.
func (r *repeats) count() int {
	var set []uint64 // open addressing, 0 for an empty slot
	n := 0
	for _, part := range r.parts {
		if len(part) == 0 {
			continue
		}
		size := 1 << bits.Len(uint(2*len(part)-1)) // a power of two, at least twice the keys
		if cap(set) < size {
			set = make([]uint64, size)
		} else {
			set = set[:size]
			clear(set)
		}
		shift := 64 - bits.Len(uint(size-1))
		mask := uint64(size - 1)
		zero := false // the key 0, which cannot be stored
		for _, k := range part {
			if k == 0 {
				if zero {
					n++
				}
				zero = true
				continue
			}
			// Fibonacci hashing: every bit of the key moves the slot.
			for i := (k * 0x9e3779b97f4a7c15) >> shift & mask; ; i = (i + 1) & mask {
				if set[i] == 0 {
					set[i] = k
					break
				}
				if set[i] == k {
					n++
					break
				}
			}
		}
	}
	return n
}

// countRepeats counts the keys equal to one before them.
func countRepeats(keys []uint64) int {
	r := newRepeats(len(keys))
	for _, k := range keys {
		r.add(k)
	}
	return r.count()
}

// sizeHint guesses the row count of a file from its size (a customer row
// takes some 60–100 bytes: the guess takes the short end), so the duplicate
// index is sized once rather than grown and copied near its end.
func sizeHint(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return int(min(fi.Size()/64, 1<<22))
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
