//go:build unix

package crashtest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

const (
	listRows = 1000 // rows in the list; every fifth is a duplicate
	stops    = 5    // signals sent before the run is let finish
)

// SIGKILL at 5 random moments, rerun until exit 0: the output equals an
// uninterrupted run's, and the simulator charged at most the calls in flight
// at the kills more than the rows say, every one of them possibly charged.
func TestCrashSIGKILL(t *testing.T) { crashTest(t, syscall.SIGKILL) }

// SIGINT at 5 random moments: every interrupted run exits 130 with the calls
// in flight finished, so nothing is lost and nothing charged twice.
func TestCrashSIGINT(t *testing.T) { crashTest(t, syscall.SIGINT) }

// stopped is one run ended by a signal.
type stopped struct {
	target   int           // the signal went out once this run's requests reached target…
	extra    time.Duration // …and extra more time passed
	requests int           // requests the simulator had from this run at the signal
	running  int           // requests the simulator was handling at the signal
	inFlight int           // attempts the journal holds without an answer after the run
}

func crashTest(t *testing.T, sig syscall.Signal) {
	bin := needBinary(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("CRASHTEST_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("CRASHTEST_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (CRASHTEST_SEED=%d repeats the signal moments)", seed, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	// Requests per customer, to see which rows were sent again.
	var mu sync.Mutex
	sends := map[batch.Fields]int{}
	cfg := simulator.Config{LatencyMin: 20 * time.Millisecond, LatencyMax: 80 * time.Millisecond, Seed: 1,
		Inject: func(f batch.Fields, n int) *simulator.Injection {
			mu.Lock()
			sends[f]++
			mu.Unlock()
			return nil
		}}
	sim, url := startSim(t, cfg)
	dir := t.TempDir()
	_, distinct := writeList(t, dir, listRows)
	// --no-memory: this test is the journal's. With the memory, a killed
	// run's row claims hold its rerun for their 2-minute lease, and its
	// lost calls count for the card guard (see the wire-mem report).
	args := []string{"verify", "--no-memory", "--endpoint", url, "--qps", "500", "--out", "out.csv", "--report", "r.json", "list.csv"}
	journalPath := filepath.Join(dir, "out.csv.journal")

	// Each signal goes out after a random number of this run's requests,
	// at most budget, so that five stops leave rows for the last run.
	budget := distinct / (stops + 1)
	var done []stopped
	lines, inFlight := 0, 0 // sound journal lines seen so far; lost calls over all stops
	var lastStderr string
	for run := 1; ; run++ {
		if run > stops+3 {
			t.Fatalf("no clean finish after %d runs", run-1)
		}
		before := sim.Stats().Requests
		cmd, out := command(t, bin, dir, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()

		var s stopped
		signalled := false
		if len(done) < stops {
			s.target = 1 + rng.IntN(budget)
			s.extra = time.Duration(rng.Int64N(int64(20 * time.Millisecond)))
			signalled = signalAt(sim, before+s.target, s.extra, exited, func() {
				st := sim.Stats()
				s.requests, s.running = st.Requests-before, running(st)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Logf("run %d: signal: %v", run, err)
				}
			})
		}
		<-exited
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		lastStderr = out.String()

		switch {
		case ws.Exited() && ws.ExitStatus() == 0:
			if len(done) < stops {
				t.Errorf("run %d finished (exit 0) before stop %d (signalled %v)", run, len(done)+1, signalled)
			}
		case sig == syscall.SIGKILL && ws.Signaled() && ws.Signal() == syscall.SIGKILL:
			n, lost, _, err := journalScan(journalPath, lines)
			if err != nil {
				t.Fatalf("run %d killed: journal: %v", run, err)
			}
			lines, s.inFlight = n, lost
			inFlight += lost
		case sig == syscall.SIGINT && ws.Exited() && ws.ExitStatus() == 130:
			checkInterrupted(t, run, dir, sim, journalPath)
		default:
			t.Fatalf("run %d: %v after %v, want exit 0 or the signal's; output:\n%s", run, cmd.ProcessState, sig, lastStderr)
		}
		if !(ws.Exited() && ws.ExitStatus() == 0) {
			t.Logf("run %d: %v after %d of its requests (+%v): the simulator had %d requests from it, %d running; the journal left %d attempts in flight",
				run, sig, s.target, s.extra.Round(time.Millisecond), s.requests, s.running, s.inFlight)
			done = append(done, s)
			continue
		}
		break
	}
	st := quiesce(t, sim)
	rep := fake.ReadReport(t, filepath.Join(dir, "r.json"))
	got := fake.ReadCSV(t, filepath.Join(dir, "out.csv"))
	if len(done) > 0 && !strings.Contains(lastStderr, "resuming from journal") {
		t.Errorf("the last run did not say it resumed:\n%s", lastStderr)
	}
	if _, err := os.Stat(journalPath); !os.IsNotExist(err) {
		t.Errorf("journal left after the run that finished: %v", err)
	}

	// The same list, uninterrupted, against a fresh simulator.
	ref := uninterrupted(t, bin, cfg)
	compareOutputs(t, got, ref)

	// The tally against the simulator.
	header := got[0]
	chargedCol := fake.Column(t, header, "Charged")
	rowsCharged := 0
	for _, rec := range got[1:] {
		if rec[chargedCol] == "yes" {
			rowsCharged++
		}
	}
	mu.Lock()
	resent := 0
	for _, n := range sends {
		resent += n - 1
	}
	customers := len(sends)
	mu.Unlock()
	t.Logf("%d stops, %d calls in flight at them (journal); simulator: requests %d, charged %d, cancelled %d; rows charged %d; report: calls %d, charged %d, possibly charged %d; customers sent again %d",
		len(done), inFlight, st.Requests, st.Charged, st.Cancelled, rowsCharged, rep.Calls, rep.Charged, rep.PossiblyCharged, resent)

	if len(done) != stops {
		t.Errorf("%d stops, want %d", len(done), stops)
	}
	if rep.ExitCode != 0 || rep.Rows != listRows || rep.Errors != 0 || rep.NotAttempted != 0 {
		t.Errorf("final report: exit %d, rows %d, errors %d, not attempted %d; want 0, %d, 0, 0", rep.ExitCode, rep.Rows, rep.Errors, rep.NotAttempted, listRows)
	}
	if rep.Charged != rowsCharged {
		t.Errorf("report charged %d, rows with Charged yes %d", rep.Charged, rowsCharged)
	}
	if customers != distinct {
		t.Errorf("%d distinct customers reached the simulator, want %d", customers, distinct)
	}
	// Charged: the rows' count, plus at most the calls in flight at the
	// stops, every one of them counted as possibly charged.
	if st.Charged < rowsCharged || st.Charged-rowsCharged > inFlight {
		t.Errorf("simulator charged %d, rows charged %d: want at most %d more (the calls in flight at the stops)", st.Charged, rowsCharged, inFlight)
	}
	if st.Charged > rep.Charged+rep.PossiblyCharged {
		t.Errorf("simulator charged %d, above the report's bracket [%d, %d]", st.Charged, rep.Charged, rep.Charged+rep.PossiblyCharged)
	}
	if rep.PossiblyCharged != inFlight {
		t.Errorf("report possibly charged %d, want the %d attempts in flight at the stops", rep.PossiblyCharged, inFlight)
	}
	// Calls: every attempt is journaled before it is sent, so the report
	// counts every request the simulator got, plus those journaled at a
	// kill that never left the process.
	if rep.Calls < st.Requests || rep.Calls-st.Requests > inFlight {
		t.Errorf("report calls %d, simulator requests %d: want equal, or more by at most the %d in flight", rep.Calls, st.Requests, inFlight)
	}
	// A row is sent again only when its attempt was in flight at a stop.
	if resent > inFlight {
		t.Errorf("%d requests for customers sent before, want at most the %d in flight at the stops", resent, inFlight)
	}
	if sig == syscall.SIGINT {
		if inFlight != 0 || rep.PossiblyCharged != 0 || st.Charged != rep.Charged || rep.Calls != st.Requests || resent != 0 {
			t.Errorf("after SIGINT stops: lost %d, possibly charged %d, simulator charged %d vs report %d, calls %d vs requests %d, sent again %d; want nothing lost or paid twice",
				inFlight, rep.PossiblyCharged, st.Charged, rep.Charged, rep.Calls, st.Requests, resent)
		}
	}
	leftovers(t, dir)
}

// signalAt polls the simulator until it has received target requests, waits
// extra, and calls send; it returns false without sending when the process
// exits first.
func signalAt(sim *simulator.Simulator, target int, extra time.Duration, exited <-chan struct{}, send func()) bool {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for sim.Stats().Requests < target {
		select {
		case <-exited:
			return false
		case <-tick.C:
		}
	}
	select {
	case <-exited:
		return false
	case <-time.After(extra):
	}
	send()
	return true
}

// checkInterrupted checks the state an interrupted run left: an output of
// every row, a report whose tally equals the simulator's (the calls in
// flight finished), and the journal for the rerun.
func checkInterrupted(t *testing.T, run int, dir string, sim *simulator.Simulator, journalPath string) {
	t.Helper()
	st := quiesce(t, sim)
	rep := fake.ReadReport(t, filepath.Join(dir, "r.json"))
	recs := fake.ReadCSV(t, filepath.Join(dir, "out.csv"))
	if rep.ExitCode != 130 || !rep.Interrupted || len(recs) != listRows+1 || rep.Rows != listRows {
		t.Errorf("run %d interrupted: report exit %d, interrupted %v, rows %d, output rows %d; want 130, true, %d, %d",
			run, rep.ExitCode, rep.Interrupted, rep.Rows, len(recs)-1, listRows, listRows)
	}
	if st.Charged != rep.Charged || rep.PossiblyCharged != 0 || rep.Calls != st.Requests {
		t.Errorf("run %d interrupted: simulator charged %d, requests %d; report charged %d, possibly %d, calls %d: want equal, nothing lost",
			run, st.Charged, st.Requests, rep.Charged, rep.PossiblyCharged, rep.Calls)
	}
	if _, lost, _, err := journalScan(journalPath, 0); err != nil || lost != 0 {
		t.Errorf("run %d interrupted: journal: %d attempts without an answer, err %v; want the journal with none", run, lost, err)
	}
}

// uninterrupted runs the same list in a new directory against a fresh
// simulator and returns its output.
func uninterrupted(t *testing.T, bin string, cfg simulator.Config) [][]string {
	t.Helper()
	cfg.Inject = nil
	_, url := startSim(t, cfg)
	dir := t.TempDir()
	writeList(t, dir, listRows)
	cmd, out := command(t, bin, dir, "verify", "--no-memory", "--endpoint", url, "--qps", "500", "--out", "out.csv", "list.csv")
	if err := cmd.Run(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	return fake.ReadCSV(t, filepath.Join(dir, "out.csv"))
}

// compareOutputs compares two outputs row by row, every column but
// RequestId (random per call) and Answered at (the time of the answer);
// both must be set on the same rows.
func compareOutputs(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("output has %d rows, the uninterrupted run %d", len(got)-1, len(want)-1)
	}
	h := want[0]
	if !equal(got[0], h) {
		t.Fatalf("output header %q, uninterrupted %q", got[0], h)
	}
	reqID, answered := fake.Column(t, h, "RequestId"), fake.Column(t, h, "Answered at")
	bad := 0
	for i := 1; i < len(want); i++ {
		g, w := got[i], want[i]
		for c := range h {
			same := g[c] == w[c]
			if c == reqID || c == answered {
				same = (g[c] == "") == (w[c] == "")
			}
			if !same {
				bad++
				if bad <= 10 {
					t.Errorf("row %d column %s: %q, uninterrupted %q", i, h[c], g[c], w[c])
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("… %d differences in all", bad)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// leftovers fails the test for files the runs left beside the output, other
// than the input, output and report: the run that finishes removes what the
// killed ones left (half-written outputs hold personal data).
func leftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range ents {
		switch e.Name() {
		case "list.csv", "out.csv", "r.json", "home", "state": // state: the memory of earlier answers, kept on purpose
		default:
			extra = append(extra, e.Name())
		}
	}
	home, _ := os.ReadDir(filepath.Join(dir, "home"))
	for _, e := range home {
		extra = append(extra, filepath.Join("TMPDIR", e.Name()))
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}
