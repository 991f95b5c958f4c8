package batch

import "testing"

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		o    Outcome
		want Verdict
	}{
		{Outcome{Status: StatusVerified, Result: "0"}, VerdictPass},
		{Outcome{Status: StatusVerified, Result: "-1"}, VerdictFail},
		{Outcome{Status: StatusVerified, Result: "-6"}, VerdictFail},
		{Outcome{Status: StatusVerified, Result: "-7"}, VerdictCardProblem},
		{Outcome{Status: StatusReused, Result: "-13"}, VerdictCardProblem},
		{Outcome{Status: StatusVerified, Result: "-17"}, VerdictCardProblem},
		{Outcome{Status: StatusVerified, Result: "-21"}, VerdictCardProblem},
		{Outcome{Status: StatusVerified, Result: "-2"}, VerdictRejected},
		{Outcome{Status: StatusVerified, Result: "-5"}, VerdictRejected},
		{Outcome{Status: StatusVerified, Result: "-20"}, VerdictRejected},
		{Outcome{Status: StatusVerified, Result: "-18"}, VerdictRetryLater},
		{Outcome{Status: StatusVerified, Result: "-19"}, VerdictRetryLater},
		{Outcome{Status: StatusVerified, Result: "-22"}, VerdictUnknown},
		{Outcome{Status: StatusVerified, Result: "1"}, VerdictUnknown},
		{Outcome{Status: StatusVerified, Result: "-06"}, VerdictUnknown},
		{Outcome{Status: StatusDuplicate, Result: "0"}, VerdictPass},
		{Outcome{Status: StatusDuplicate, Error: "no final answer"}, VerdictRetryLater},
		{Outcome{Status: StatusInvalid, Error: "name: empty"}, VerdictRejected},
		{Outcome{Status: StatusError}, VerdictRetryLater},
		{Outcome{Status: StatusDeferred}, VerdictRetryLater},
		{Outcome{Status: StatusNotAttempted}, VerdictRetryLater},
	} {
		if got := tc.o.Verdict(); got != tc.want {
			t.Errorf("%+v: verdict %q, want %q", tc.o, got, tc.want)
		}
	}
}
