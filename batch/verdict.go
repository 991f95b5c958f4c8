package batch

import "strconv"

// Verdict is what a reviewer acts on, derived from a row's Status and
// Result (SPEC section 8): not the billing class, the outcome for the
// customer.
type Verdict string

// The verdicts of SPEC section 8, in the order a reviewer reads them.
const (
	VerdictPass        Verdict = "pass"         // Result 0: the four elements match
	VerdictFail        Verdict = "fail"         // -1, -6: they do not match
	VerdictCardProblem Verdict = "card problem" // -7…-17, -21: the card cannot be used or verified
	VerdictRejected    Verdict = "rejected"     // -2…-5, -20 and invalid rows: the input is wrong or not supported
	VerdictRetryLater  Verdict = "retry later"  // -18, -19 and error, deferred, not attempted rows: no verdict yet
	VerdictUnknown     Verdict = "unknown"      // a Result not in the table: read the Description
)

// Verdicts lists every verdict in reading order: the order of the Summary's
// counts, the chart and the legend.
var Verdicts = []Verdict{VerdictPass, VerdictFail, VerdictCardProblem, VerdictRejected, VerdictRetryLater, VerdictUnknown}

// ResultVerdict is the verdict of a service Result code.
func ResultVerdict(result string) Verdict {
	n, err := strconv.Atoi(result)
	if err != nil || strconv.Itoa(n) != result {
		return VerdictUnknown
	}
	switch {
	case n == 0:
		return VerdictPass
	case n == -1 || n == -6:
		return VerdictFail
	case n >= -17 && n <= -7, n == -21:
		return VerdictCardProblem
	case n >= -5 && n <= -2, n == -20:
		return VerdictRejected
	case n == -18 || n == -19:
		return VerdictRetryLater
	}
	return VerdictUnknown
}

// Verdict is the row's verdict. Verified, reused and duplicate rows take
// the verdict of their Result (a duplicate carries its first copy's);
// invalid rows are rejected; rows with no answer yet are retry later.
func (o Outcome) Verdict() Verdict {
	switch o.Status {
	case StatusInvalid:
		return VerdictRejected
	case StatusVerified, StatusReused, StatusDuplicate:
		if o.Result != "" {
			return ResultVerdict(o.Result)
		}
	}
	return VerdictRetryLater
}
