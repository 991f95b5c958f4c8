package batch

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// synthetic is row i of a list in which every tenth row repeats the row
// ten before it.
func synthetic(i int) Fields {
	if i%10 == 9 {
		i -= 9
	}
	return Fields{Name: fmt.Sprint("n", i), BankCard: fmt.Sprintf("6222%012d", i), Phone: fmt.Sprintf("138%08d", i), IDCard: fmt.Sprintf("%018d", i)}
}

func TestRepeatFinder(t *testing.T) {
	f := NewRepeatFinder()
	for _, n := range []string{"a", "b", "a", "c", "b", "a", "d"} {
		f.Add(Fields{Name: n})
	}
	if f.Rows() != 7 {
		t.Errorf("rows %d, want 7", f.Rows())
	}
	r := f.Repeats()
	if r.Len() != 2 {
		t.Errorf("%d repeated rows, want 2 (a, b)", r.Len())
	}
	for n, want := range map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": false} {
		if got := r.has(r.keyer.Key(Fields{Name: n})); got != want {
			t.Errorf("has(%s) = %v, want %v", n, got, want)
		}
	}
}

// TestRunWithRepeats: with the repeated rows found in a first pass, the
// run sends each distinct row once and gives the later copies the first
// copy's answer, as without.
func TestRunWithRepeats(t *testing.T) {
	rs := rows("a", "b", "a", "c", "b", "a", "d")
	f := NewRepeatFinder()
	for _, r := range rs {
		f.Add(r.Fields)
	}
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{}}
	cfg := fastCfg()
	cfg.Repeats = f.Repeats()
	sink := &memSink{}
	rep, err := Run(context.Background(), &sliceSource{rows: rs}, v, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for n, c := range v.calls {
		if c != 1 {
			t.Errorf("%s sent %d times", n, c)
		}
	}
	if len(v.calls) != 4 || rep.Duplicates != 3 || rep.Verified != 4 {
		t.Errorf("calls %v, duplicates %d, verified %d", v.calls, rep.Duplicates, rep.Verified)
	}
	for i, first := range map[int]int{2: 0, 4: 1, 5: 0} {
		g, w := sink.got[i].Outcome, sink.got[first].Outcome
		if g.Status != StatusDuplicate || g.RequestID != w.RequestID || g.RequestID == "" || g.Duplicate != first {
			t.Errorf("row %d: %+v, want a duplicate of row %d (%+v)", i, g, first, w)
		}
	}
}

// dedupeHeap runs n synthetic rows through a dedupe alone, as the run
// does (first copy, its answer written, later copies answered), and
// returns the live heap per row it keeps at the end.
func dedupeHeap(n int, withRepeats bool) float64 {
	var rep *Repeats
	if withRepeats {
		f := NewRepeatFinder()
		for i := range n {
			f.Add(synthetic(i))
		}
		rep = f.Repeats()
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	d := newDedupe(rep)
	answer := Outcome{Status: StatusVerified, Result: "0", Description: "ok", Charged: ChargedYes}
	for i := range n {
		k := d.key(synthetic(i))
		_, first, track := d.first(k, i)
		switch {
		case first && track:
			o := answer
			o.RequestID = fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)
			d.written(k, o)
		case !first:
			if d.copyOf(k).RequestID == "" {
				panic("copy without the first copy's answer")
			}
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	runtime.KeepAlive(rep)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// TestDedupeHeapPerRow: with the repeats known, the index keeps only the
// repeated rows: a list with one row in ten repeated costs a few bytes a
// row (the repeated rows' entries and the 8-byte keys of the repeat set),
// not an entry for every row.
func TestDedupeHeapPerRow(t *testing.T) {
	const n = 100_000
	all := dedupeHeap(n, false)
	some := dedupeHeap(n, true)
	t.Logf("live heap per row after %d rows: %.1f B every row kept, %.1f B only repeated rows kept", n, all, some)
	if some > 16 {
		t.Errorf("dedupe keeps %.1f B a row with the repeats known, want at most 16", some)
	}
}

// BenchmarkDedupeHeap reports the live heap the de-duplication index keeps
// per row over 1,000,000 rows, one in ten repeated (go test -run '^$'
// -bench DedupeHeap ./batch).
func BenchmarkDedupeHeap(b *testing.B) {
	for _, c := range []struct {
		name    string
		repeats bool
	}{{"every-row", false}, {"repeats-only", true}} {
		b.Run(c.name, func(b *testing.B) {
			var per float64
			for range b.N {
				per = dedupeHeap(1_000_000, c.repeats)
			}
			b.ReportMetric(per, "heapB/row")
		})
	}
}
