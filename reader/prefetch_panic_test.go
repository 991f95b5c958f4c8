package reader

import (
	"errors"
	"io"
	"testing"
)

// panicTable panics on its second row, as a parser bug reached by a
// strange file would.
type panicTable struct{ n int }

func (p *panicTable) next() ([]string, int, error) {
	p.n++
	if p.n == 2 {
		var cells []string
		_ = cells[3] // index out of range
	}
	return []string{"a"}, p.n, nil
}
func (p *panicTable) numeric(int) bool { return false }
func (p *panicTable) close() error     { return nil }

// A panic while parsing ahead ends the read with an error, not the process.
func TestPrefetchRecoversPanic(t *testing.T) {
	pf := prefetch(&panicTable{}, false, nil)
	defer pf.close()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, _, err = pf.next()
	}
	if !errors.Is(err, errInternal) || errors.Is(err, io.EOF) {
		t.Fatalf("after a panic in the parser: %v, want errInternal", err)
	}
}
