package writer

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// ConsoleOptions tune ConsoleSummary.
type ConsoleOptions struct {
	// Journal is the journal's path, named in the hint to rerun; "" leaves
	// it out.
	Journal string
}

// ConsoleSummary writes the final summary of a run for the console
// (stderr, SPEC section 8): first the rows by verdict, then the charges and
// the cost with the currency, then the counts, the answers by code and the
// run's files and times, and last one line that says how the run ended —
// the abort or interrupt, with the hint to rerun the same command — once.
// It holds no personal data (service text is as the report has it). When
// rep.Verdicts is nil (Writer.Close fills it), it says the verdicts were
// not counted rather than showing zeros.
func ConsoleSummary(w io.Writer, rep *batch.Report, o ConsoleOptions) error {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		s := fmt.Sprintf("  %-17s "+format, append([]any{label}, args...)...)
		b.WriteString(strings.TrimRight(s, " "))
		b.WriteByte('\n')
	}
	if rep.Verdicts == nil {
		b.WriteString("bankcard4e: rows by verdict not counted\n")
	} else {
		n := verdictCounts(rep, nil)
		total := 0
		for _, c := range n {
			total += c
		}
		fmt.Fprintf(&b, "bankcard4e: %d %s by verdict\n", total, plural(total, "row", "rows"))
		for i, v := range batch.Verdicts {
			line(string(v), "%6d  %s", n[i], percent(n[i], total))
		}
	}

	cur := ""
	if rep.Currency != "" {
		cur = " " + rep.Currency
	}
	if cost, maxCost, ok := costs(rep); ok {
		line("charged", "%6d  cost %s%s (%d × %s%s)", rep.Charged, money(cost), cur, rep.Charged, money(*rep.Price), cur)
		line("possibly charged", "%6d  at most %s%s in all", rep.PossiblyCharged, money(maxCost), cur)
	} else {
		line("charged", "%6d  (no --price: cost not known)", rep.Charged)
		line("possibly charged", "%6d", rep.PossiblyCharged)
	}
	line("free", "%6d", rep.Free)
	if rep.UnknownResults > 0 {
		line("charge unknown", "%6d  results not in the price table", rep.UnknownResults)
	}
	line("calls sent", "%6d", rep.Calls)
	if rep.PaceCuts > 0 {
		line("throttled", "%6d  pace cut %d %s, lowest %.1f/s", rep.Throttled, rep.PaceCuts, plural(rep.PaceCuts, "time", "times"), rep.LowestQPS)
	}
	line("rows", "%6d  verified %d, reused %d, duplicates %d, invalid %d, deferred %d, errors %d, not attempted %d; blank rows skipped %d",
		rep.Rows, rep.Verified, rep.Reused, rep.Duplicates, rep.Invalid, rep.Deferred, rep.Errors, rep.NotAttempted, rep.Blank)
	if s := byCode(rep.Retried); s != "" {
		line("retried answers", "%s", s)
	}
	if s := byCode(rep.ByError); s != "" {
		line("rows in error", "%s", s)
	}
	if rep.Input != "" {
		line("input", "%s", rep.Input)
	}
	if rep.Output != "" {
		line("output", "%s", rep.Output)
	}
	if rep.StartedAt.IsZero() || rep.FinishedAt.IsZero() {
		line("duration", "%s", duration(rep))
	} else {
		line("duration", "%s (%s to %s UTC)", duration(rep), utc(rep.StartedAt), utc(rep.FinishedAt))
	}
	b.WriteString(runState(rep, o.Journal))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary is ConsoleSummary as a string, without the journal's path.
func Summary(rep *batch.Report) string {
	var b strings.Builder
	_ = ConsoleSummary(&b, rep, ConsoleOptions{})
	return b.String()
}

// percent is n of total as a percentage with one decimal, or "" for none.
func percent(n, total int) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(n)/float64(total))
}

// byCode spells counts by code, sorted by code: "HTTP 502 ×1, InternalError ×2".
func byCode(m map[string]int) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for i, c := range codes {
		codes[i] = fmt.Sprintf("%s ×%d", c, m[c])
	}
	return strings.Join(codes, ", ")
}
