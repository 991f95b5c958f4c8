package writer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// WriteReport writes rep as indented JSON (the --report file, SPEC section
// 8) to path, mode 0600, atomically. Times are written in UTC; absent maps
// and the tally are written empty rather than null.
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
	if r.Tally == nil {
		r.Tally = []batch.TallyEntry{}
	}
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

// Summary is the human summary of a run, several lines of text for the
// console (stderr). It holds no personal data.
func Summary(rep *batch.Report) string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-17s "+format+"\n", append([]any{label}, args...)...)
	}
	switch {
	case rep.Interrupted:
		b.WriteString("bankcard4e: run interrupted; rerun the same command to resume\n")
	case rep.Aborted:
		fmt.Fprintf(&b, "bankcard4e: run aborted: %s; rerun the same command to resume\n", orNone(rep.AbortReason))
	case rep.Errors > 0:
		fmt.Fprintf(&b, "bankcard4e: run finished; %d %s ended in error, rerun to retry them\n", rep.Errors, plural(rep.Errors, "row", "rows"))
	default:
		b.WriteString("bankcard4e: run finished\n")
	}
	line("input", "%s", rep.Input)
	if rep.InputSHA256 != "" {
		line("input sha256", "%s", rep.InputSHA256)
	}
	if rep.Output != "" {
		line("output", "%s", rep.Output)
	}
	line("rows", "%d (blank rows skipped: %d)", rep.Rows, rep.Blank)
	line("verified", "%d", rep.Verified)
	line("duplicates", "%d", rep.Duplicates)
	line("invalid", "%d", rep.Invalid)
	line("errors", "%d", rep.Errors)
	line("not attempted", "%d", rep.NotAttempted)
	line("calls sent", "%d", rep.Calls)
	line("charged", "%d", rep.Charged)
	line("free", "%d", rep.Free)
	if rep.UnknownResults > 0 {
		line("charge unknown", "%d (results not in the price table)", rep.UnknownResults)
	}
	line("possibly charged", "%d", rep.PossiblyCharged)
	if cost, maxCost, ok := costs(rep); ok {
		line("cost", "%s (%d charged × %s; at most %s)", money(cost), rep.Charged, money(*rep.Price), money(maxCost))
	}
	if len(rep.Tally) > 0 {
		parts := make([]string, len(rep.Tally))
		for i, t := range rep.Tally {
			parts[i] = fmt.Sprintf("%s ×%d (%s)", t.Code, t.Count, t.Class)
		}
		line("results", "%s", strings.Join(parts, ", "))
	}
	if len(rep.ByError) > 0 {
		codes := make([]string, 0, len(rep.ByError))
		for c := range rep.ByError {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for i, c := range codes {
			codes[i] = fmt.Sprintf("%s ×%d", c, rep.ByError[c])
		}
		line("errors by code", "%s", strings.Join(codes, ", "))
	}
	line("duration", "%s (%s to %s)", duration(rep), utc(rep.StartedAt), utc(rep.FinishedAt))
	return b.String()
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
