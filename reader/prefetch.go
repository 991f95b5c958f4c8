package reader

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/bankcard4e/bankcard4e/batch"
)

// errStopped is what next returns after close.
var errStopped = errors.New("reader closed")

// prefetchRows is how many rows travel together from the parsing goroutine;
// a batch is sent early once its cells hold prefetchBytes, so that the
// batches in flight stay small however large the rows (up to 1 MiB a cell).
const (
	prefetchRows  = 256
	prefetchBytes = 1 << 20
)

// prefetched reads a table on a goroutine of its own, a batch of rows ahead
// of its caller, so that parsing the file and normalising and checking its
// rows run on two cores. Given a normaliser, it also normalises the fields
// of the batches it reads while its caller is the slower of the two. It
// keeps next's contract: rows in order, the numeric flags of the row last
// returned, the table's error after its rows.
type prefetched struct {
	src     table
	norm    func(cells []string) (batch.Fields, *batch.Problem) // nil: the caller normalises
	batches chan *rowBatch
	spent   chan *rowBatch // batches read to their end, for their slices to be reused
	stop    chan struct{}
	wg      sync.WaitGroup

	cur *rowBatch
	i   int // the next row of cur
}

// rowBatch is a run of consecutive rows of a table.
type rowBatch struct {
	flat     []string // the cells of every row, one after the other
	ends     []int    // row i is flat[ends[i-1]:ends[i]]
	lines    []int
	numeric  [][]bool         // per row, per cell; nil for a table without numeric cells
	fields   []batch.Fields   // per row, from norm, when normalized
	problems []*batch.Problem // per row, from norm, when normalized
	// normalized: the batch's fields were normalised on the reading goroutine
	normalized bool
	err        error // after the rows: the error next returned (io.EOF at the end)
}

// prefetch starts reading t ahead. hasNumeric says whether t can report
// numeric cells (XLSX), so their flags must travel with the rows. norm,
// when not nil, normalises and checks a row's fields; the reading goroutine
// calls it for a batch when half the batches in flight or more are waiting
// for the caller, and fields then returns them.
func prefetch(t table, hasNumeric bool, norm func(cells []string) (batch.Fields, *batch.Problem)) *prefetched {
	p := &prefetched{src: t, norm: norm, batches: make(chan *rowBatch, 4), spent: make(chan *rowBatch, 8), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.batches)
		width := 0 // cells a row in the last batch, to size the next at once
		at, _ := t.(appender)
		for {
			b := p.newBatch()
			if width > 0 {
				b.flat = make([]string, 0, prefetchRows*width)
			}
			// The caller is behind: take over its normalising for a batch.
			b.normalized = norm != nil && len(p.batches) >= cap(p.batches)/2
			size := 0
			for len(b.lines) < prefetchRows && size < prefetchBytes {
				from := len(b.flat)
				var line int
				var err error
				if at != nil {
					b.flat, line, err = safeAppend(at, b.flat)
				} else {
					var cells []string
					cells, line, err = safeNext(t)
					// The slice is the table's to reuse; its strings are not.
					b.flat = append(b.flat, cells...)
				}
				if err != nil {
					b.flat = b.flat[:from]
					b.err = err
					break
				}
				cells := b.flat[from:]
				for _, c := range cells {
					size += len(c)
				}
				b.ends = append(b.ends, len(b.flat))
				b.lines = append(b.lines, line)
				if b.normalized {
					f, p := norm(b.flat[len(b.flat)-len(cells):])
					b.fields, b.problems = append(b.fields, f), append(b.problems, p)
				}
				if hasNumeric {
					flags := make([]bool, len(cells))
					for i := range flags {
						flags[i] = t.numeric(i)
					}
					b.numeric = append(b.numeric, flags)
				}
			}
			if len(b.lines) > 0 {
				// Rounded up: a batch of rows as wide needs no more room
				// (and the rare longer row grows the slice).
				width = (len(b.flat) + len(b.lines) - 1) / len(b.lines)
			}
			select {
			case p.batches <- b:
			case <-p.stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return p
}

// newBatch returns an empty batch, with the slices of a spent one when
// there is one. Its cells are always new: rows keep them.
func (p *prefetched) newBatch() *rowBatch {
	select {
	case b := <-p.spent:
		b.flat, b.numeric, b.normalized = nil, nil, false
		b.ends, b.lines, b.fields = b.ends[:0], b.lines[:0], b.fields[:0]
		clear(b.problems) // for the problems to be collected
		b.problems = b.problems[:0]
		return b
	default:
	}
	b := &rowBatch{ends: make([]int, 0, prefetchRows), lines: make([]int, 0, prefetchRows)}
	if p.norm != nil {
		b.fields = make([]batch.Fields, 0, prefetchRows)
		b.problems = make([]*batch.Problem, 0, prefetchRows)
	}
	return b
}

// next is the table's next, but for its cells: they are the batch's own,
// never reused, and stay valid after the following call (Reader.row keeps
// them as the Row's Cells).
func (p *prefetched) next() ([]string, int, error) {
	for p.cur == nil || p.i >= len(p.cur.lines) {
		if p.cur != nil && p.cur.err != nil {
			return nil, 0, p.cur.err
		}
		b, ok := <-p.batches
		if !ok {
			return nil, 0, errStopped
		}
		if p.cur != nil {
			select {
			case p.spent <- p.cur:
			default:
			}
		}
		p.cur, p.i = b, 0
	}
	b, i := p.cur, p.i
	p.i++
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.flat[start:b.ends[i]:b.ends[i]], b.lines[i], nil
}

// fields returns the normalised fields of the row last returned, and
// their problem; ok is false when its batch was not normalised (the caller
// normalises it).
func (p *prefetched) fields() (f batch.Fields, problem *batch.Problem, ok bool) {
	if p.cur == nil || !p.cur.normalized || p.i == 0 {
		return batch.Fields{}, nil, false
	}
	return p.cur.fields[p.i-1], p.cur.problems[p.i-1], true
}

func (p *prefetched) numeric(col int) bool {
	if p.cur == nil || p.cur.numeric == nil || p.i == 0 {
		return false
	}
	flags := p.cur.numeric[p.i-1]
	return col >= 0 && col < len(flags) && flags[col]
}

// close stops the reading goroutine, then closes the table.
func (p *prefetched) close() error {
	close(p.stop)
	p.wg.Wait()
	return p.src.close()
}

// appender is a table that can append a row's cells to a slice of the
// caller's, strings that stay valid (csvTable): the batch is filled without
// a copy of the row's slice.
type appender interface {
	appendNext(dst []string) ([]string, int, error)
}

// errInternal wraps a reader bug that a strange file reached: the file is
// refused with a message instead of the process crashing.
var errInternal = errors.New("the file could not be read (an internal error of the reader: please report it with a copy of the file's structure, never its data)")

// panicError is errInternal for the panic value v. Only a runtime error's
// text is kept (an index out of range says numbers, never a cell); any
// other value, which a library may have built from the file's contents, is
// named by its type alone.
func panicError(v any) error {
	if re, ok := v.(runtime.Error); ok {
		return fmt.Errorf("%w: %s", errInternal, re.Error())
	}
	return fmt.Errorf("%w: a panic of type %T", errInternal, v)
}

// safeNext is t.next with a panic turned into an error, so that a file
// built to break the parser stops the run with a message, before any call,
// rather than killing it.
func safeNext(t table) (cells []string, line int, err error) {
	defer func() {
		if v := recover(); v != nil {
			cells, line, err = nil, 0, panicError(v)
		}
	}()
	return t.next()
}

// safeAppend is safeNext for an appender: dst appended the row's cells, or
// as it was with the error.
func safeAppend(t appender, dst []string) (cells []string, line int, err error) {
	from := len(dst)
	defer func() {
		if v := recover(); v != nil {
			cells, line, err = dst[:from], 0, panicError(v)
		}
	}()
	return t.appendNext(dst)
}
