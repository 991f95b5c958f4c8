package reader

import (
	"errors"
	"fmt"
	"sync"
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
// rows run on two cores. It keeps next's contract: rows in order, the
// numeric flags of the row last returned, the table's error after its rows.
type prefetched struct {
	src     table
	batches chan *rowBatch
	stop    chan struct{}
	wg      sync.WaitGroup

	cur *rowBatch
	i   int // the next row of cur
}

// rowBatch is a run of consecutive rows of a table.
type rowBatch struct {
	flat    []string // the cells of every row, one after the other
	ends    []int    // row i is flat[ends[i-1]:ends[i]]
	lines   []int
	numeric [][]bool // per row, per cell; nil for a table without numeric cells
	err     error    // after the rows: the error next returned (io.EOF at the end)
}

// prefetch starts reading t ahead. hasNumeric says whether t can report
// numeric cells (XLSX), so their flags must travel with the rows.
func prefetch(t table, hasNumeric bool) *prefetched {
	p := &prefetched{src: t, batches: make(chan *rowBatch, 4), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.batches)
		width := 0 // cells a row in the last batch, to size the next at once
		for {
			b := &rowBatch{ends: make([]int, 0, prefetchRows), lines: make([]int, 0, prefetchRows)}
			if width > 0 {
				b.flat = make([]string, 0, prefetchRows*width)
			}
			size := 0
			for len(b.lines) < prefetchRows && size < prefetchBytes {
				cells, line, err := safeNext(t)
				if err != nil {
					b.err = err
					break
				}
				// The slice is the table's to reuse; its strings are not.
				b.flat = append(b.flat, cells...)
				for _, c := range cells {
					size += len(c)
				}
				b.ends = append(b.ends, len(b.flat))
				b.lines = append(b.lines, line)
				if hasNumeric {
					flags := make([]bool, len(cells))
					for i := range flags {
						flags[i] = t.numeric(i)
					}
					b.numeric = append(b.numeric, flags)
				}
			}
			if len(b.lines) > 0 {
				width = len(b.flat)/len(b.lines) + 1
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

// errInternal wraps a reader bug that a strange file reached: the file is
// refused with a message instead of the process crashing.
var errInternal = errors.New("the file could not be read (an internal error of the reader: please report it with a copy of the file's structure, never its data)")

// safeNext is t.next with a panic turned into an error, so that a file
// built to break the parser stops the run with a message, before any call,
// rather than killing it.
func safeNext(t table) (cells []string, line int, err error) {
	defer func() {
		if v := recover(); v != nil {
			cells, line, err = nil, 0, fmt.Errorf("%w: %v", errInternal, v)
		}
	}()
	return t.next()
}
