package writer

import (
	"flag"
	"strconv"
	"testing"
)

// sample is where TestRenderSample writes its workbook (make render).
var sample = flag.String("sample", "", "write a sample workbook to this path (make render)")

// TestRenderSample writes a sample workbook for a person to look at as
// printed pages: `make render` converts it to PDF and PNG. It has ten
// copies of testResults (130 rows of every verdict and status), so the
// Results sheet runs over several pages, and testReport's counts times
// ten. Without -sample it does nothing.
func TestRenderSample(t *testing.T) {
	if *sample == "" {
		t.Skip("no -sample path")
	}
	base := testResults()
	results := base[:0:0]
	const copies = 10
	for i := range copies * len(base) {
		r := *base[i%len(base)]
		r.Row.Cells = append([]string(nil), r.Row.Cells...)
		r.Row.Cells[0] = strconv.Itoa(100123 + i)
		r.Row.Index, r.Row.Line = i, i+2
		results = append(results, &r)
	}
	rep := testReport()
	for _, n := range []*int{&rep.Rows, &rep.Blank, &rep.Verified, &rep.Reused, &rep.Deferred, &rep.Duplicates,
		&rep.Invalid, &rep.Errors, &rep.NotAttempted, &rep.Calls, &rep.Charged, &rep.Free, &rep.UnknownResults, &rep.PossiblyCharged} {
		*n *= copies
	}
	for _, m := range []map[string]int{rep.ByResult, rep.ByError, rep.Retried} {
		for k := range m {
			m[k] *= copies
		}
	}
	for i := range rep.Tally {
		rep.Tally[i].Count *= copies
	}
	writeAll(t, *sample, Options{}, rep, results)
}
