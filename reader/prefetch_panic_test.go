package reader

import (
	"errors"
	"fmt"
	"io"
	"strings"
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

// A panic whose value holds file text (as a library's may) is reported by
// its type, never its text; a runtime error keeps its numbers.
func TestPanicErrorKeepsNoCellText(t *testing.T) {
	const cell = "110101199003076631"
	if err := panicError("bad cell " + cell); !errors.Is(err, errInternal) || strings.Contains(err.Error(), cell) {
		t.Errorf("panicError(string) = %q", err)
	}
	if err := panicError(fmt.Errorf("parse %q", cell)); strings.Contains(err.Error(), cell) {
		t.Errorf("panicError(error) = %q", err)
	}
	var rerr error
	func() {
		defer func() { rerr = panicError(recover()) }()
		var cells []string
		_ = cells[3]
	}()
	if !strings.Contains(rerr.Error(), "index out of range") {
		t.Errorf("panicError(runtime error) = %q, want its text", rerr)
	}
}
func (p *panicTable) close() error { return nil }

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
