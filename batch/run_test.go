package batch

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sliceSource serves rows from memory.
type sliceSource struct {
	rows []Row
	i    int
}

func (s *sliceSource) Header() Header {
	return Header{Cells: []string{"n"}, Name: 0, BankCard: -1, Phone: -1, IDCard: -1, CertType: -1}
}
func (s *sliceSource) Blank() int { return 0 }
func (s *sliceSource) Next() (Row, error) {
	if s.i >= len(s.rows) {
		return Row{}, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}

// fakeVerifier answers by a script keyed on the name and counts calls.
type fakeVerifier struct {
	mu     sync.Mutex
	script map[string][]Answer // name → answers for successive attempts (the last repeats)
	calls  map[string]int
	starts []time.Time
	delay  time.Duration
}

func (f *fakeVerifier) Verify(ctx context.Context, fl Fields) Answer {
	f.mu.Lock()
	n := f.calls[fl.Name]
	f.calls[fl.Name] = n + 1
	f.starts = append(f.starts, time.Now())
	answers := f.script[fl.Name]
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if len(answers) == 0 {
		return Answer{Class: ClassCharged, Result: "0", Description: "ok", RequestID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n+1)}
	}
	return answers[min(n, len(answers)-1)]
}

type memSink struct{ got []Result }

func (m *memSink) Write(r *Result) error { m.got = append(m.got, *r); return nil }

func rows(names ...string) []Row {
	var out []Row
	for i, n := range names {
		out = append(out, Row{Index: i, Line: i + 2, Cells: []string{n}, Fields: Fields{Name: n, BankCard: "6222020000000000", Phone: "13800000000", IDCard: "11010119900307123X"}})
	}
	return out
}

func fastCfg() Config {
	return Config{Workers: 8, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond}
}

func TestRunOutcomesInOrder(t *testing.T) {
	rs := rows("ok", "free", "busy", "busyonce", "lost", "lostonce", "rowerr", "unknown", "ok", "retry", "throttleonce")
	rs = append(rs, Row{Index: len(rs), Line: 99, Fields: Fields{Name: "bad"}, Problem: &Problem{Field: FieldIDCard, Reason: "check character is 3, want X"}})
	busy := Answer{Class: ClassBusy, Result: "-18", Description: "busy"}
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{
		"free":         {{Class: ClassFree, Result: "-2", Description: "name"}},
		"busy":         {busy},
		"busyonce":     {busy, {Class: ClassCharged, Result: "-6", Description: "mismatch"}},
		"lost":         {{Class: ClassLost, Code: "Timeout"}},
		"lostonce":     {{Class: ClassLost, Code: "Timeout"}, {Class: ClassCharged, Result: "0"}},
		"rowerr":       {{Class: ClassRowError, Code: "InvalidParameterValue", Message: "bad"}},
		"unknown":      {{Class: ClassUnknown, Result: "-99"}},
		"retry":        {{Class: ClassRetry, Code: "HTTP 503"}},
		"throttleonce": {{Class: ClassThrottle, Code: "RequestLimitExceeded"}, {Class: ClassFree, Result: "-3"}},
	}}
	sink := &memSink{}
	cfg := fastCfg()
	cfg.Attempts = 3
	rep, err := Run(context.Background(), &sliceSource{rows: rs}, v, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status  Status
		result  string
		charged Charged
		calls   int
		lost    int
	}{
		{StatusVerified, "0", ChargedYes, 1, 0},
		{StatusVerified, "-2", ChargedNo, 1, 0},
		{StatusVerified, "-18", ChargedNo, 3, 0},
		{StatusVerified, "-6", ChargedYes, 2, 0},
		{StatusError, "", ChargedUnknown, 3, 3},
		{StatusVerified, "0", ChargedYes, 2, 1},
		{StatusError, "", ChargedNo, 1, 0},
		{StatusVerified, "-99", ChargedUnknown, 1, 0},
		{StatusDuplicate, "0", ChargedNo, 0, 0},
		{StatusError, "", ChargedNo, 3, 0},
		{StatusVerified, "-3", ChargedNo, 2, 0},
		{StatusInvalid, "", ChargedNo, 0, 0},
	}
	if len(sink.got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(sink.got), len(want))
	}
	for i, w := range want {
		g := sink.got[i]
		if g.Row.Index != i {
			t.Errorf("row %d written at position %d", g.Row.Index, i)
		}
		o := g.Outcome
		if o.Status != w.status || o.Result != w.result || o.Charged != w.charged || o.Calls != w.calls || o.Lost != w.lost {
			t.Errorf("row %d (%s): got %+v, want %+v", i, g.Row.Fields.Name, o, w)
		}
	}
	if d := sink.got[8].Outcome; d.RequestID != sink.got[0].Outcome.RequestID || d.Duplicate != 0 {
		t.Errorf("duplicate did not get the first copy's RequestId: %+v vs %+v", d, sink.got[0].Outcome)
	}
	if v.calls["ok"] != 1 {
		t.Errorf("duplicate sent: %d calls for ok", v.calls["ok"])
	}
	if got := sink.got[11].Outcome.Error; got != "idcard: check character is 3, want X" {
		t.Errorf("invalid row error = %q", got)
	}
	// Tally: charged ok, busyonce(-6), lostonce(0) = 3; free -2, -18, -3 = 3; unknown 1.
	if rep.Verified != 7 || rep.Charged != 3 || rep.Free != 3 || rep.UnknownResults != 1 {
		t.Errorf("tally: verified %d charged %d free %d unknown %d", rep.Verified, rep.Charged, rep.Free, rep.UnknownResults)
	}
	if rep.PossiblyCharged != 3+1+1 {
		t.Errorf("possibly charged = %d, want 5 (3 lost + 1 lost + 1 unknown)", rep.PossiblyCharged)
	}
	if rep.Errors != 3 || rep.Duplicates != 1 || rep.Invalid != 1 || rep.Rows != 12 {
		t.Errorf("counts: %+v", rep)
	}
	if rep.Calls != 1+1+3+2+3+2+1+1+3+2 {
		t.Errorf("calls = %d", rep.Calls)
	}
	// Rows that ended in error, by the code of their last answer; answers
	// that were retried, by code.
	wantByError := map[string]int{"Timeout": 1, "InvalidParameterValue": 1, "HTTP 503": 1}
	if !maps.Equal(rep.ByError, wantByError) {
		t.Errorf("by_error %v, want %v", rep.ByError, wantByError)
	}
	wantRetried := map[string]int{"-18": 2 + 1, "Timeout": 2 + 1, "HTTP 503": 2, "RequestLimitExceeded": 1}
	if !maps.Equal(rep.Retried, wantRetried) {
		t.Errorf("retried %v, want %v", rep.Retried, wantRetried)
	}
	verdicts := map[string]int{}
	for _, v := range Verdicts {
		verdicts[string(v)] = 0
	}
	for _, g := range sink.got {
		verdicts[string(g.Outcome.Verdict())]++
	}
	if !maps.Equal(rep.Verdicts, verdicts) {
		t.Errorf("verdicts %v, want %v", rep.Verdicts, verdicts)
	}
	// pass: ok, lostonce, its duplicate; fail: busyonce; rejected: free, throttleonce, bad;
	// retry later: busy, lost, rowerr, retry; unknown: -99.
	if verdicts["pass"] != 3 || verdicts["fail"] != 1 || verdicts["rejected"] != 3 || verdicts["retry later"] != 4 || verdicts["unknown"] != 1 {
		t.Errorf("verdicts of the rows: %v", verdicts)
	}
}

func TestRunAnsweredAt(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 59, 58, 0, time.FixedZone("CST", 8*3600))
	rs := rows("a", "b", "a")
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{"b": {{Class: ClassRowError, Code: "InvalidParameterValue"}}}}
	cfg := fastCfg()
	cfg.Now = func() time.Time { return at }
	var progress []Progress
	cfg.Progress = func(p Progress) { progress = append(progress, p) }
	sink := &memSink{}
	if _, err := Run(context.Background(), &sliceSource{rows: rs}, v, sink, cfg); err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Time{at.UTC(), {}, at.UTC()} {
		if got := sink.got[i].Outcome.AnsweredAt; !got.Equal(want) || !got.IsZero() && got.Location() != time.UTC {
			t.Errorf("row %d: Answered at %v, want %v", i, got, want)
		}
	}
	if len(progress) != 3 || progress[2].Answered != 3 || progress[2].Done != 3 {
		t.Fatalf("progress %+v", progress)
	}
	for _, p := range progress {
		if p.Answered < p.Done {
			t.Errorf("answered %d < done %d", p.Answered, p.Done)
		}
	}
}

// TestRunAnsweredMovesAhead: while the first row waits for its answer,
// rows behind it are answered and Progress.Answered counts them though
// nothing can be written yet.
func TestRunAnsweredMovesAhead(t *testing.T) {
	names := []string{"slow", "b", "c", "d", "e"}
	release := make(chan struct{})
	v := &gateVerifier{gate: map[string]chan struct{}{"slow": release}}
	cfg := fastCfg()
	var once sync.Once
	var ahead atomic.Int64
	cfg.Progress = func(p Progress) {
		if p.Done == 0 && p.Answered == len(names)-1 {
			ahead.Store(int64(p.Answered))
			once.Do(func() { close(release) })
		}
	}
	if _, err := Run(context.Background(), &sliceSource{rows: rows(names...)}, v, &memSink{}, cfg); err != nil {
		t.Fatal(err)
	}
	if ahead.Load() != 4 {
		t.Errorf("progress never showed the 4 answers behind the slow row")
	}
}

// gateVerifier holds the calls of the names in gate until their channel
// is closed.
type gateVerifier struct{ gate map[string]chan struct{} }

func (g *gateVerifier) Verify(ctx context.Context, f Fields) Answer {
	if ch := g.gate[f.Name]; ch != nil {
		select {
		case <-ch:
		case <-time.After(20 * time.Second): // the test fails below instead of hanging
		}
	}
	return Answer{Class: ClassCharged, Result: "0"}
}

func TestRunAbortStopsSending(t *testing.T) {
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
	}
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{}, delay: time.Millisecond}
	for _, n := range names[5:] {
		v.script[n] = []Answer{{Class: ClassAbort, Code: "AuthFailure.SignatureFailure", Message: "signature mismatch"}}
	}
	sink := &memSink{}
	cfg := fastCfg()
	cfg.Workers = 4
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names...)}, v, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.AbortCode != AbortService || rep.AbortReason != "AuthFailure.SignatureFailure: signature mismatch" {
		t.Errorf("aborted %v code %q reason %q", rep.Aborted, rep.AbortCode, rep.AbortReason)
	}
	total := 0
	for _, c := range v.calls {
		total += c
	}
	if total > 5+cfg.Workers {
		t.Errorf("%d calls sent after an abort answer, want at most %d", total, 5+cfg.Workers)
	}
	if len(sink.got) != 200 || rep.NotAttempted < 200-5-cfg.Workers {
		t.Errorf("rows written %d, not attempted %d", len(sink.got), rep.NotAttempted)
	}
}

func TestRunCircuitBreaker(t *testing.T) {
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
	}
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{}}
	for _, n := range names {
		v.script[n] = []Answer{{Class: ClassRetry, Code: "InternalError"}}
	}
	cfg := fastCfg()
	cfg.BreakerLimit = 20
	rep, err := Run(context.Background(), &sliceSource{rows: rows(names...)}, v, &memSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.Calls > 20+cfg.Workers {
		t.Errorf("aborted %v after %d calls (%q)", rep.Aborted, rep.Calls, rep.AbortReason)
	}
}

func TestRunInterruptFinishesInFlight(t *testing.T) {
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
	}
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{}, delay: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var written atomic.Int64
	cfg := fastCfg()
	cfg.Progress = func(p Progress) {
		if written.Add(1) == 10 {
			cancel()
		}
	}
	sink := &memSink{}
	rep, err := Run(ctx, &sliceSource{rows: rows(names...)}, v, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.NotAttempted == 0 || len(sink.got) != 100 {
		t.Errorf("interrupted %v, not attempted %d, rows %d", rep.Interrupted, rep.NotAttempted, len(sink.got))
	}
	// Every call that was sent got its answer: none is left unaccounted.
	if rep.Verified+rep.Errors != rep.Calls {
		t.Errorf("verified %d + errors %d != calls %d", rep.Verified, rep.Errors, rep.Calls)
	}
}

func TestRunResume(t *testing.T) {
	rs := rows("a", "b", "c", "a")
	v := &fakeVerifier{calls: map[string]int{}, script: map[string][]Answer{}}
	cfg := fastCfg()
	cfg.Resume = &Resume{
		Final: map[int]Outcome{0: {Status: StatusVerified, Result: "-6", Charged: ChargedYes, RequestID: "11111111-2222-4333-8444-555555555555", Calls: 1}},
		Carry: map[int]Counts{1: {Calls: 2, Lost: 1}},
	}
	sink := &memSink{}
	rep, err := Run(context.Background(), &sliceSource{rows: rs}, v, sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v.calls["a"] != 0 || v.calls["b"] != 1 || v.calls["c"] != 1 {
		t.Errorf("calls %v: the resumed row must not be sent again", v.calls)
	}
	if o := sink.got[1].Outcome; o.Calls != 3 || o.Lost != 1 {
		t.Errorf("carried counts: %+v", o)
	}
	if o := sink.got[3].Outcome; o.Status != StatusDuplicate || o.Result != "-6" || o.RequestID != "11111111-2222-4333-8444-555555555555" {
		t.Errorf("duplicate of a resumed row: %+v", o)
	}
	if !rep.Resumed || rep.PossiblyCharged != 1 || rep.Calls != 1+3+1 || rep.Charged != 3 {
		t.Errorf("report: %+v", rep)
	}
}
