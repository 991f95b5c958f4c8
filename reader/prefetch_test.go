package reader

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
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

// TestPrefetchNormalisesWhenCallerIsBehind reads a CSV file of many batches
// whose caller waits, so that the reading goroutine normalises some batches
// and leaves the others to the caller: every row's fields are those of its
// cells either way.
func TestPrefetchNormalisesWhenCallerIsBehind(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,BankCard,Phone,IdCard,CertType\n")
	for i := range 20 * prefetchRows {
		fmt.Fprintf(&b, " 张伟 ,6222 0234-1672 %04d,+86 166 8991 5737,1101 0119 8503 1294 92,%s\n", i, []string{"", "身份证", " 0 "}[i%3])
	}
	r, err := Open(writeFile(t, "in.csv", []byte(b.String())), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pf := r.tab.(*prefetched)
	h := r.Header()
	seen := map[bool]int{}
	for i := 0; ; i++ {
		if i%prefetchRows == 0 {
			// Behind: let the reading goroutine fill its queue.
			for k := 0; k < 100 && len(pf.batches) < cap(pf.batches); k++ {
				time.Sleep(time.Millisecond)
			}
		}
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[pf.cur.normalized]++
		if want := normalizeRow(&h, row.Cells); row.Fields != want {
			t.Fatalf("row %d: fields %+v, want %+v", i, row.Fields, want)
		}
		if row.Problem != nil {
			t.Fatalf("row %d: %v", i, row.Problem)
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("rows normalised ahead / by the caller: %d / %d, want both", seen[true], seen[false])
	}
}
