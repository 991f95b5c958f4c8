package reader

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// fakeTable yields n rows whose cells say their number, row i's cell 1
// numeric when i is odd, then err.
type fakeTable struct {
	n, i   int
	err    error
	buf    []string
	closed bool
}

func (f *fakeTable) next() ([]string, int, error) {
	if f.i >= f.n {
		return nil, 0, f.err
	}
	f.i++
	f.buf = append(f.buf[:0], fmt.Sprint(f.i), "x") // reused, as real tables do
	return f.buf, f.i + 1, nil
}
func (f *fakeTable) numeric(col int) bool { return col == 1 && f.i%2 == 1 }
func (f *fakeTable) close() error         { f.closed = true; return nil }

func TestPrefetchKeepsOrderFlagsAndError(t *testing.T) {
	boom := errors.New("line 1234: bare quote")
	for _, n := range []int{0, 1, prefetchRows, prefetchRows*3 + 7} {
		for _, end := range []error{io.EOF, boom} {
			src := &fakeTable{n: n, err: end}
			p := prefetch(src, true, nil)
			for i := 1; i <= n; i++ {
				cells, line, err := p.next()
				if err != nil || cells[0] != fmt.Sprint(i) || line != i+1 {
					t.Fatalf("n=%d row %d: %v %d %v", n, i, cells, line, err)
				}
				if got := p.numeric(1); got != (i%2 == 1) {
					t.Fatalf("n=%d row %d: numeric = %v", n, i, got)
				}
			}
			for range 2 {
				if _, _, err := p.next(); err != end {
					t.Fatalf("n=%d: after the rows err = %v, want %v", n, err, end)
				}
			}
			if err := p.close(); err != nil || !src.closed {
				t.Fatalf("close: %v, table closed %v", err, src.closed)
			}
		}
	}
}

// Closing before the end stops the reading goroutine (no hang, no leak
// under -race).
func TestPrefetchCloseEarly(t *testing.T) {
	src := &fakeTable{n: prefetchRows * 100, err: io.EOF}
	p := prefetch(src, false, nil)
	if _, _, err := p.next(); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil || !src.closed {
		t.Fatalf("close: %v, table closed %v", err, src.closed)
	}
}
