package writer

import (
	"github.com/bankcard4e/bankcard4e/batch"
)

// The colour of each verdict, used alike for the Results rows, the
// Summary's verdict table (which is the legend) and the chart's bars.
//
// They are six colours of the Okabe–Ito palette (Okabe and Ito, "Color
// Universal Design", 2008), chosen to stay apart for readers with any common
// colour-vision deficiency; Okabe–Ito blue (#0072B2) is left out because
// black text on it is below 4.5:1. Contrast of black text on each (WCAG 2
// relative luminance): bluish green 6.1:1, vermillion 5.4:1, orange 9.3:1,
// reddish purple 6.9:1, sky blue 9.1:1, yellow 15.9:1 — all above the 4.5:1
// of WCAG AA.
var verdictFills = [...]string{
	"#009E73", // pass: bluish green
	"#D55E00", // fail: vermillion
	"#E69F00", // card problem: orange
	"#CC79A7", // rejected: reddish purple
	"#56B4E9", // retry later: sky blue
	"#F0E442", // unknown: yellow
}

// verdictMeanings say what each verdict means, in the Summary's legend.
var verdictMeanings = [numVerdicts]string{
	"the four elements match",
	"they do not match",
	"the card cannot be used or verified",
	"the input is wrong or not supported",
	"no verdict yet: rerun, or wait for a later run",
	"a Result not in the table: read the Description",
}

// numVerdicts is the number of verdicts; verdictIndex maps each to its
// position in batch.Verdicts (and in verdictFills).
const numVerdicts = len(verdictFills)

// verdictIndex is the position of v in batch.Verdicts; an unknown verdict
// is counted as VerdictUnknown.
func verdictIndex(v batch.Verdict) int {
	for i, w := range batch.Verdicts {
		if w == v {
			return i
		}
	}
	return numVerdicts - 1
}

// verdictCounts are the rows of each verdict: rep.Verdicts when the run
// filled it, else counted by the Writer from the rows it wrote (own).
func verdictCounts(rep *batch.Report, own *[numVerdicts]int) [numVerdicts]int {
	if rep.Verdicts == nil && own != nil {
		return *own
	}
	var n [numVerdicts]int
	for i, v := range batch.Verdicts {
		n[i] = rep.Verdicts[string(v)]
	}
	return n
}

// verdictMap spells counts as the report's verdicts map, every verdict present.
func verdictMap(n [numVerdicts]int) map[string]int {
	m := make(map[string]int, numVerdicts)
	for i, v := range batch.Verdicts {
		m[string(v)] = n[i]
	}
	return m
}
