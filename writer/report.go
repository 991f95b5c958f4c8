package writer

import (
	"encoding/json"
	"fmt"

	"github.com/bankcard4e/bankcard4e/batch"
)

// WriteReport writes rep as indented JSON (the --report file, SPEC section
// 8) to path, mode 0600, atomically. Times are written in UTC; absent maps
// and the tally are written empty rather than null, and verdicts holds
// every verdict.
func WriteReport(path string, rep *batch.Report) error {
	r := *rep
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = r.FinishedAt.UTC()
	if r.ByResult == nil {
		r.ByResult = map[string]int{}
	}
	if r.ByError == nil {
		r.ByError = map[string]int{}
	}
	if r.Retried == nil {
		r.Retried = map[string]int{}
	}
	if r.Tally == nil {
		r.Tally = []batch.TallyEntry{}
	}
	// Every verdict is present, 0 or not.
	r.Verdicts = verdictMap(verdictCounts(&r, nil))
	if r.Price != nil && (r.Cost == nil || r.MaxCost == nil) {
		cost, maxCost, _ := costs(&r)
		r.Cost, r.MaxCost = &cost, &maxCost
	}
	data, err := json.MarshalIndent(&r, "", "  ")
	if err != nil {
		return fmt.Errorf("report %q: %w", path, err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// orNone spells an empty reason.
func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
