package journal

import (
	"bytes"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// FuzzRecord feeds the journal's line parser lines from the fuzzer, some
// with a valid checksum: it never panics, and whatever it accepts it
// writes back to the same line.
func FuzzRecord(f *testing.F) {
	final, err := encodeFinal(batch.Outcome{Status: batch.StatusVerified, Result: "0", Charged: batch.ChargedYes, RequestID: "req", Calls: 2, Lost: 1,
		AnsweredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		f.Fatal(err)
	}
	dup, _ := encodeFinal(batch.Outcome{Status: batch.StatusDuplicate, Duplicate: 3})
	for _, line := range [][]byte{
		appendRun(nil, fuzzKey, 1767225600),
		appendAttempt(nil, fuzzKey, kindAttempt, 7, 1),
		appendAttempt(nil, fuzzKey, kindAnswered, 0, 12),
		appendFinal(nil, fuzzKey, 3, final),
		appendFinal(nil, fuzzKey, 9, dup),
		[]byte("A 1 1 00000000\n"),
		[]byte("F 1 {\"s\":\"verified\"\n"),
		[]byte("X 1\n"),
	} {
		f.Add(bytes.TrimSuffix(line, []byte("\n")), false)
		f.Add(bytes.TrimSuffix(line, []byte("\n")), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, seal bool) {
		if seal {
			// Give the fuzzer's body a valid checksum, so the parser
			// behind it is reached.
			line = bytes.TrimSuffix(seal1(line), []byte("\n"))
		}
		body, ok := checked(line, fuzzKey)
		if !ok {
			return
		}
		rec, err := parseRecord(body)
		if err != nil {
			return
		}
		var again []byte
		switch rec.kind {
		case kindRun:
			again = appendRun(nil, fuzzKey, rec.unix)
		case kindAttempt, kindAnswered:
			again = appendAttempt(nil, fuzzKey, rec.kind, rec.row, rec.n)
		case kindFinal:
			js, err := encodeFinal(rec.outcome)
			if err != nil {
				t.Fatalf("accepted outcome %+v cannot be encoded: %v", rec.outcome, err)
			}
			again = appendFinal(nil, fuzzKey, rec.row, js)
		}
		body2, ok := checked(bytes.TrimSuffix(again, []byte("\n")), fuzzKey)
		if !ok {
			t.Fatalf("re-encoded line %q fails its checksum", again)
		}
		rec2, err := parseRecord(body2)
		if err != nil || rec2.kind != rec.kind || rec2.row != rec.row || rec2.n != rec.n || rec2.unix != rec.unix || !sameOutcome(rec2.outcome, rec.outcome) {
			t.Fatalf("%q parsed as %+v, written back as %q, parsed again as %+v (%v)", line, rec, again, rec2, err)
		}
	})
}

// fuzzKey binds the fuzzed lines to one journal id, as every record line is.
var fuzzKey = lineKey("0123456789abcdef0123456789abcdef")

// seal1 appends a valid checksum to body.
func seal1(body []byte) []byte { return seal(append([]byte(nil), body...), 0, fuzzKey) }

func sameOutcome(a, b batch.Outcome) bool {
	return a.AnsweredAt.Equal(b.AnsweredAt) && func() bool { a.AnsweredAt, b.AnsweredAt = time.Time{}, time.Time{}; return a == b }()
}
