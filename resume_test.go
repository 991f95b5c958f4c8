package main

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// sendCounter counts the requests the simulator got per customer, through
// its Inject hook.
type sendCounter struct {
	mu sync.Mutex
	n  map[batch.Fields]int
}

func newSendCounter() *sendCounter { return &sendCounter{n: map[batch.Fields]int{}} }

// inject is a simulator.Config.Inject that counts and changes nothing.
func (c *sendCounter) inject(f batch.Fields, _ int) *simulator.Injection {
	c.mu.Lock()
	c.n[f]++
	c.mu.Unlock()
	return nil
}

// snapshot returns the counts so far.
func (c *sendCounter) snapshot() map[batch.Fields]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

// verifyRun is one verify run of a list in dir against a simulator: out.csv,
// report.json and the journal out.csv.journal.
type verifyRun struct {
	dir, input, url string
	extra           []string // more options
}

func (v verifyRun) out() string     { return filepath.Join(v.dir, "out.csv") }
func (v verifyRun) report() string  { return filepath.Join(v.dir, "report.json") }
func (v verifyRun) journal() string { return filepath.Join(v.dir, "out.csv.journal") }

// run runs verify and returns its stderr and exit code.
func (v verifyRun) run(t *testing.T, more ...string) (string, int) {
	t.Helper()
	args := []string{"verify", "--endpoint", v.url, "--qps", "1000", "--quiet", "--out", v.out(), "--report", v.report()}
	args = append(append(append(args, v.extra...), more...), v.input)
	_, stderr, code := runApp(t, context.Background(), args...)
	return stderr, code
}

// checkRows checks an output of n rows of writeList: in input order, every
// row verified with a Result, a duplicate carrying its first copy's answer,
// or in error with a reason. It returns the rows by status.
func checkRows(t *testing.T, recs [][]string, n int) map[string]int {
	t.Helper()
	if len(recs) != n+1 {
		t.Fatalf("%d output rows, want %d", len(recs)-1, n)
	}
	h := recs[0]
	ref, status, result, reqID, errCol := fake.Column(t, h, "Ref"), fake.Column(t, h, "Status"), fake.Column(t, h, "Result"), fake.Column(t, h, "RequestId"), fake.Column(t, h, "Error")
	by := map[string]int{}
	for i, rec := range recs[1:] {
		by[rec[status]]++
		if want := fake.Ref(i); rec[ref] != want {
			t.Fatalf("output row %d is %s, want %s: not in input order", i, rec[ref], want)
		}
		switch rec[status] {
		case "verified":
			if rec[result] == "" || rec[reqID] == "" {
				t.Errorf("row %d verified without a Result or RequestId: %q", i, rec)
			}
		case "duplicate":
			if i%5 != 4 {
				t.Errorf("row %d marked duplicate", i)
			}
			if rec[reqID] != recs[i][reqID] || rec[result] != recs[i][result] {
				t.Errorf("duplicate row %d does not carry the first copy's answer", i)
			}
		case "error":
			if rec[errCol] == "" {
				t.Errorf("row %d in error without a reason", i)
			}
		default:
			t.Errorf("row %d has status %q, want verified, duplicate or error", i, rec[status])
		}
	}
	return by
}

// checkTally holds a finished run's report against the simulator: the
// simulator's charged calls lie in the report's bracket, and exceed the
// rows charged by at most the answers dropped after charging; possibly
// charged is exactly the attempts the simulator dropped; every request
// the simulator got was counted as a call.
func checkTally(t *testing.T, rep batch.Report, st simulator.Stats) {
	t.Helper()
	if st.Charged < rep.Charged || st.Charged > rep.Charged+rep.PossiblyCharged {
		t.Errorf("simulator charged %d, report brackets [%d, %d]", st.Charged, rep.Charged, rep.Charged+rep.PossiblyCharged)
	}
	if st.Charged-rep.Charged > st.DroppedAfter {
		t.Errorf("simulator charged %d, report %d: more than the %d answers dropped after charging", st.Charged, rep.Charged, st.DroppedAfter)
	}
	if lost := st.DroppedBefore + st.DroppedAfter; rep.PossiblyCharged != lost+rep.UnknownResults {
		t.Errorf("report possibly charged %d, want the %d dropped connections", rep.PossiblyCharged, lost)
	}
	if rep.Calls != st.Requests {
		t.Errorf("report counts %d calls, the simulator got %d requests", rep.Calls, st.Requests)
	}
}

// Each fault of the simulator alone, then all of them mixed (SPEC section
// 9): every row ends final or in error with a reason, no charge is paid
// twice beyond the answers dropped after charging, and the tally brackets
// the simulator's count. Rows left in error are tried again by a rerun.
func TestFaults(t *testing.T) {
	const p = 0.2
	tests := []struct {
		name   string
		faults simulator.Faults
		rows   int
		tries  string // --retries
		fired  func(st simulator.Stats, rep batch.Report) bool
	}{
		{"HTTP 5xx", simulator.Faults{HTTP5xx: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool { return st.HTTPErrors > 0 && len(rep.Retried) > 0 }},
		{"dropped before processing", simulator.Faults{DropBefore: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool { return st.DroppedBefore > 0 }},
		{"dropped after charging", simulator.Faults{DropAfter: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool {
				return st.DroppedAfter > 0 && st.Charged > rep.Charged
			}},
		{"throttle", simulator.Faults{Throttle: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool {
				return st.Throttled > 0 && rep.Retried["RequestLimitExceeded"] == st.Throttled
			}},
		{"InternalError", simulator.Faults{InternalError: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool {
				return st.ByError["InternalError"] > 0 && rep.Retried["InternalError"] == st.ByError["InternalError"]
			}},
		{"busy", simulator.Faults{Busy: p}, 100, "8",
			func(st simulator.Stats, rep batch.Report) bool { return st.ByResult["-18"] > 0 }},
		// One attempt each: rows end in error, and a rerun tries them again.
		{"InternalError, retries exhausted", simulator.Faults{InternalError: 0.3}, 100, "1",
			func(st simulator.Stats, rep batch.Report) bool { return rep.Errors > 0 }},
		{"mixed", simulator.Faults{HTTP5xx: 0.05, DropBefore: 0.02, DropAfter: 0.01, Throttle: 0.03, InternalError: 0.02, Busy: 0.02}, 400, "8",
			func(st simulator.Stats, rep batch.Report) bool {
				return st.HTTPErrors > 0 && st.DroppedBefore+st.DroppedAfter > 0 && st.Throttled > 0 && st.ByResult["-18"] > 0
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sends := newSendCounter()
			sim, url := startSim(t, simulator.Config{Seed: 11, Faults: tt.faults, Inject: sends.inject})
			dir := t.TempDir()
			v := verifyRun{dir: dir, input: writeList(t, dir, tt.rows), url: url, extra: []string{"--retries", tt.tries}}
			stderr, code := v.run(t)
			if code != exitOK && code != exitRowErrors {
				t.Fatalf("exit %d, want 0 or 2:\n%s", code, stderr)
			}
			by := checkRows(t, fake.ReadCSV(t, v.out()), tt.rows)
			rep, st := fake.ReadReport(t, v.report()), sim.Stats()
			t.Logf("simulator %+v; report charged %d possibly %d calls %d retried %v by_error %v; rows %v", st, rep.Charged, rep.PossiblyCharged, rep.Calls, rep.Retried, rep.ByError, by)
			checkTally(t, rep, st)
			if !tt.fired(st, rep) {
				t.Errorf("the fault did not fire or was not counted: simulator %+v, report retried_by_code %v", st, rep.Retried)
			}
			if got := len(sends.snapshot()); got != tt.rows-tt.rows/5 {
				t.Errorf("%d distinct rows reached the service, want %d", got, tt.rows-tt.rows/5)
			}
			if code == exitOK {
				if _, err := os.Stat(v.journal()); !os.IsNotExist(err) {
					t.Errorf("journal left after a complete run: %v", err)
				}
				return
			}
			// Rows in error: a rerun once the service recovers tries them
			// again, and only them.
			if by["error"] != rep.Errors || rep.Errors == 0 {
				t.Errorf("exit 2 with %d error rows, report says %d", by["error"], rep.Errors)
			}
			before := sends.snapshot()
			sim.SetFaults(simulator.Faults{})
			if stderr, code := v.run(t); code != exitOK {
				t.Fatalf("rerun: exit %d, want 0:\n%s", code, stderr)
			}
			checkRows(t, fake.ReadCSV(t, v.out()), tt.rows)
			rep, st = fake.ReadReport(t, v.report()), sim.Stats()
			checkTally(t, rep, st)
			if resent := st.Requests - sumCounts(before); resent != by["error"] {
				t.Errorf("rerun sent %d requests, want one for each of the %d rows in error", resent, by["error"])
			}
		})
	}
}

func sumCounts(m map[batch.Fields]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// A wrong secret key stops the run after at most --workers calls, with exit
// 3 and a message naming the cause and the fix; with the right key, the
// same command resumes and finishes.
func TestWrongSecret(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	t.Setenv("TENCENTCLOUD_SECRET_KEY", strings.Repeat("w", len(simulator.LocalSecretKey)))
	dir := t.TempDir()
	const rows, workers = 40, 4
	v := verifyRun{dir: dir, input: writeList(t, dir, rows), url: url, extra: []string{"--workers", "4"}}
	stderr, code := v.run(t)
	if code != exitAborted {
		t.Fatalf("exit %d, want %d:\n%s", code, exitAborted, stderr)
	}
	st := sim.Stats()
	if st.Requests == 0 || st.Requests > workers || st.AuthFailures != st.Requests || st.Charged != 0 {
		t.Errorf("simulator %+v: want 1 to %d requests, all refused, none charged", st, workers)
	}
	for _, want := range []string{"AuthFailure.SignatureFailure", "TENCENTCLOUD_SECRET_KEY", "rerun"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if rep := fake.ReadReport(t, v.report()); !rep.Aborted || !strings.Contains(rep.AbortReason, "SignatureFailure") || rep.ExitCode != exitAborted {
		t.Errorf("report: aborted %v, reason %q, exit %d", rep.Aborted, rep.AbortReason, rep.ExitCode)
	}
	if _, err := os.Stat(v.journal()); err != nil {
		t.Fatalf("journal must stay for the rerun: %v", err)
	}

	t.Setenv("TENCENTCLOUD_SECRET_KEY", simulator.LocalSecretKey)
	if stderr, code := v.run(t); code != exitOK {
		t.Fatalf("rerun with the right key: exit %d:\n%s", code, stderr)
	}
	checkRows(t, fake.ReadCSV(t, v.out()), rows)
	rep, st := fake.ReadReport(t, v.report()), sim.Stats()
	checkTally(t, rep, st)
	if rep.Charged != st.Charged {
		t.Errorf("report charged %d, simulator %d", rep.Charged, st.Charged)
	}
}

// Arrears after N charged calls abort the run with exit 3; once the account
// is topped up, the same command finishes without sending again a row that
// already has its answer, and without a double charge.
func TestArrearsResume(t *testing.T) {
	const rows, arrearsAfter = 100, 30
	sends := newSendCounter()
	sim, url := startSim(t, simulator.Config{Faults: simulator.Faults{ArrearsAfter: arrearsAfter}, Inject: sends.inject})
	dir := t.TempDir()
	v := verifyRun{dir: dir, input: writeList(t, dir, rows), url: url, extra: []string{"--workers", "4"}}
	stderr, code := v.run(t)
	if code != exitAborted {
		t.Fatalf("exit %d, want %d:\n%s", code, exitAborted, stderr)
	}
	for _, want := range []string{"UnauthorizedOperation.Arrears", "top it up", "Rerun the same command"} {
		if n := strings.Count(strings.ToLower(stderr), strings.ToLower(want)); n != 1 && want != "UnauthorizedOperation.Arrears" {
			t.Errorf("stderr says %q %d times, want once:\n%s", want, n, stderr)
		}
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	rep1, st1 := fake.ReadReport(t, v.report()), sim.Stats()
	if st1.Charged != arrearsAfter || rep1.Charged != st1.Charged || rep1.PossiblyCharged != 0 {
		t.Errorf("first run: simulator charged %d, report %d (possibly %d); want %d, equal, none possibly", st1.Charged, rep1.Charged, rep1.PossiblyCharged, arrearsAfter)
	}
	if after := st1.ByError["UnauthorizedOperation.Arrears"]; after < 1 || after > 4 {
		t.Errorf("%d requests refused for arrears, want 1 to the 4 workers", after)
	}
	// The rows answered in the first run, by customer.
	recs := fake.ReadCSV(t, v.out())
	h := recs[0]
	status := fake.Column(t, h, "Status")
	name, card, phone, id := fake.Column(t, h, "Name"), fake.Column(t, h, "BankCard"), fake.Column(t, h, "Phone"), fake.Column(t, h, "IdCard")
	var answered []batch.Fields
	for _, rec := range recs[1:] {
		if rec[status] == "verified" {
			answered = append(answered, batch.Fields{Name: rec[name], BankCard: rec[card], Phone: rec[phone], IDCard: rec[id]})
		}
	}
	if len(answered) < arrearsAfter {
		t.Fatalf("%d rows verified in the first run, want at least %d", len(answered), arrearsAfter)
	}
	before := sends.snapshot()

	sim.SetFaults(simulator.Faults{})
	if stderr, code := v.run(t); code != exitOK {
		t.Fatalf("rerun: exit %d, want 0:\n%s", code, stderr)
	}
	checkRows(t, fake.ReadCSV(t, v.out()), rows)
	rep, st := fake.ReadReport(t, v.report()), sim.Stats()
	checkTally(t, rep, st)
	if st.Charged != rep.Charged {
		t.Errorf("simulator charged %d, report %d: want equal (no double charge)", st.Charged, rep.Charged)
	}
	after := sends.snapshot()
	for _, f := range answered {
		if after[f] != before[f] {
			t.Errorf("a customer answered in the first run (%s…) was sent again: %d → %d requests", f.Phone[:3], before[f], after[f])
		}
	}
	if _, err := os.Stat(v.journal()); !os.IsNotExist(err) {
		t.Errorf("journal left after the run that finished: %v", err)
	}
}

// A journal written for another input or other options is refused before
// any call with a clear message; --fresh starts over.
func TestResumeRefusesChangedRun(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, v *verifyRun)
		want   []string
	}{
		{
			name: "input changed",
			change: func(t *testing.T, v *verifyRun) {
				f, err := os.OpenFile(v.input, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				p := person(999)
				_, err = f.WriteString("R99999," + p.Name + "," + p.BankCard + "," + p.Phone + "," + p.IDCard + "\n")
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"input file changed", "--fresh"},
		},
		{
			name:   "option changed",
			change: func(t *testing.T, v *verifyRun) { v.extra = append(v.extra, "--no-precheck") },
			want:   []string{"no_precheck", "--fresh"},
		},
		{
			name:   "header row given",
			change: func(t *testing.T, v *verifyRun) { v.extra = append(v.extra, "--header-row", "1") },
			want:   []string{"header_row", "--fresh"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, simulator.Config{Faults: simulator.Faults{ArrearsAfter: 5}})
			dir := t.TempDir()
			v := verifyRun{dir: dir, input: writeList(t, dir, 20), url: url, extra: []string{"--workers", "2"}}
			if stderr, code := v.run(t); code != exitAborted {
				t.Fatalf("first run: exit %d, want %d:\n%s", code, exitAborted, stderr)
			}
			sim.SetFaults(simulator.Faults{})
			tt.change(t, &v)
			sent := sim.Stats().Requests
			stderr, code := v.run(t)
			if code != exitFatal {
				t.Fatalf("run after the change: exit %d, want %d:\n%s", code, exitFatal, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr)
				}
			}
			if got := sim.Stats().Requests; got != sent {
				t.Errorf("%d requests sent by a refused run", got-sent)
			}
			if _, err := os.Stat(v.journal()); err != nil {
				t.Errorf("the refused run removed the journal: %v", err)
			}

			stderr, code = v.run(t, "--fresh")
			if code != exitOK {
				t.Fatalf("--fresh: exit %d, want 0:\n%s", code, stderr)
			}
			rep := fake.ReadReport(t, v.report())
			recs := fake.ReadCSV(t, v.out())
			if rep.Rows != len(recs)-1 || rep.Resumed || strings.Contains(stderr, "resuming") {
				t.Errorf("--fresh: report rows %d, output rows %d, resumed %v: want a new run over the current input", rep.Rows, len(recs)-1, rep.Resumed)
			}
			if _, err := os.Stat(v.journal()); !os.IsNotExist(err) {
				t.Errorf("journal left after the run that finished: %v", err)
			}
		})
	}
}

// An output or journal that cannot be written stops the run with exit 1
// before any call.
func TestUnwritableOutput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string
	}{
		{"output under a regular file", func(t *testing.T, dir string) []string {
			return []string{"--out", filepath.Join(regularFile(t, dir), "out.csv")}
		}},
		{"output is a directory", func(t *testing.T, dir string) []string {
			out := filepath.Join(dir, "out.csv")
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			return []string{"--out", out}
		}},
		{"journal under a regular file", func(t *testing.T, dir string) []string {
			return []string{"--out", filepath.Join(dir, "out.csv"), "--journal", filepath.Join(regularFile(t, dir), "j")}
		}},
		{"read-only directory", func(t *testing.T, dir string) []string {
			if os.Geteuid() == 0 {
				t.Skip("running as root: a read-only directory is writable (the regular-file cases cover this)")
			}
			ro := filepath.Join(dir, "ro")
			if err := os.Mkdir(ro, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(ro, 0o700) })
			return []string{"--out", filepath.Join(ro, "out.csv")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 10)
			args := append([]string{"verify", "--endpoint", url, "--quiet"}, tt.setup(t, dir)...)
			_, stderr, code := runApp(t, context.Background(), append(args, input)...)
			if code != exitFatal {
				t.Fatalf("exit %d, want %d:\n%s", code, exitFatal, stderr)
			}
			if got := sim.Stats().Requests; got != 0 {
				t.Errorf("%d requests sent before the output was found unwritable", got)
			}
			if !strings.Contains(stderr, "cannot write") && !strings.Contains(stderr, "journal") {
				t.Errorf("stderr does not say what cannot be written:\n%s", stderr)
			}
		})
	}
}

// regularFile makes dir/file, a regular file: no path can go under it.
func regularFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "file")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
