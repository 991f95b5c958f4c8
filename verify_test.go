package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// Every exit code of SPEC section 2, through newApp.
func TestVerifyExitCodes(t *testing.T) {
	type result struct {
		code           int
		stderr         string
		dir            string
		sim            *simulator.Simulator
		requestsBefore int
	}
	tests := []struct {
		name  string
		cfg   simulator.Config
		setup func(t *testing.T, dir string) (args []string)
		ctx   func() (context.Context, func())
		want  int
		check func(t *testing.T, r result)
	}{
		{
			name: "every row final",
			want: exitOK,
			check: func(t *testing.T, r result) {
				if _, err := os.Stat(filepath.Join(r.dir, "out.csv.journal")); !os.IsNotExist(err) {
					t.Errorf("journal left after a complete run: %v", err)
				}
			},
		},
		{
			name: "rows in error",
			cfg: simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
				if f.Phone == person(3).Phone {
					return &simulator.Injection{Error: "InvalidParameterValue", Message: "bad value"}
				}
				return nil
			}},
			want: exitRowErrors,
			check: func(t *testing.T, r result) {
				if _, err := os.Stat(filepath.Join(r.dir, "out.csv.journal")); err != nil {
					t.Errorf("journal must stay for a rerun: %v", err)
				}
				if !strings.Contains(r.stderr, "1 rows ended in error") {
					t.Errorf("stderr does not say a row ended in error:\n%s", r.stderr)
				}
			},
		},
		{
			name: "aborted by the service",
			cfg:  simulator.Config{Faults: simulator.Faults{AuthFailure: true}},
			want: exitAborted,
			check: func(t *testing.T, r result) {
				if got := r.sim.Stats().Requests; got > 4 {
					t.Errorf("%d requests after an auth failure, want at most the 4 workers", got)
				}
				if !strings.Contains(r.stderr, "AuthFailure") || !strings.Contains(r.stderr, "TENCENTCLOUD_SECRET_KEY") {
					t.Errorf("stderr does not name the cause and the fix:\n%s", r.stderr)
				}
			},
		},
		{
			name: "interrupted by SIGINT",
			cfg:  simulator.Config{LatencyMin: 100 * time.Millisecond, LatencyMax: 100 * time.Millisecond},
			ctx:  signalAfter(os.Interrupt, 300*time.Millisecond),
			want: exitInterrupted,
		},
		{
			name: "terminated by SIGTERM",
			cfg:  simulator.Config{LatencyMin: 100 * time.Millisecond, LatencyMax: 100 * time.Millisecond},
			ctx:  signalAfter(sigterm, 300*time.Millisecond),
			want: exitTerminated,
		},
		{
			name: "missing input",
			setup: func(t *testing.T, dir string) []string {
				return []string{filepath.Join(dir, "nope.csv")}
			},
			want: exitFatal,
		},
		{
			name: "no credentials",
			setup: func(t *testing.T, dir string) []string {
				t.Setenv("TENCENTCLOUD_SECRET_ID", "")
				t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
				return nil
			},
			want: exitFatal,
		},
		{
			name: "unwritable output directory",
			setup: func(t *testing.T, dir string) []string {
				return []string{"--out", filepath.Join(dir, "no", "such", "dir", "out.csv")}
			},
			want: exitFatal,
			check: func(t *testing.T, r result) {
				if got := r.sim.Stats().Requests; got != 0 {
					t.Errorf("%d requests sent before the output was found unwritable", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, tt.cfg)
			dir := t.TempDir()
			input := writeList(t, dir, 20)
			args := []string{"verify", "--endpoint", url, "--qps", "200", "--workers", "4", "--quiet", "--out", filepath.Join(dir, "out.csv")}
			if tt.setup != nil {
				extra := tt.setup(t, dir)
				if len(extra) == 1 && !strings.HasPrefix(extra[0], "-") {
					input = extra[0]
				} else {
					args = append(args, extra...)
				}
			}
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, stderr, code := runApp(t, ctx, append(args, input)...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if tt.check != nil {
				tt.check(t, result{code: code, stderr: stderr, dir: dir, sim: sim})
			}
		})
	}
}

// signalAfter returns a context cancelled as main cancels it on sig.
func signalAfter(sig os.Signal, d time.Duration) func() (context.Context, func()) {
	return func() (context.Context, func()) {
		ctx, cancel := context.WithCancelCause(context.Background())
		t := time.AfterFunc(d, func() { cancel(&signalError{sig: sig}) })
		return ctx, func() { t.Stop(); cancel(nil) }
	}
}

// A list run with every fault of the simulator: every row ends final or in
// error with a reason, in input order, duplicates are sent once, and the
// simulator's count of charged calls lies between the report's charged and
// charged + possibly charged.
func TestVerifyAllFaults(t *testing.T) {
	var mu sync.Mutex
	seen := map[batch.Fields]int{}
	sim, url := startSim(t, simulator.Config{
		Seed: 7,
		Faults: simulator.Faults{
			HTTP5xx: 0.05, DropBefore: 0.02, DropAfter: 0.01, Throttle: 0.03, InternalError: 0.02, Busy: 0.02,
		},
		Inject: func(f batch.Fields, n int) *simulator.Injection {
			mu.Lock()
			seen[f]++
			mu.Unlock()
			return nil
		},
	})
	dir := t.TempDir()
	const n = 400
	input := writeList(t, dir, n)
	out := filepath.Join(dir, "out.csv")
	report := filepath.Join(dir, "report.json")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "400", "--retries", "8",
		"--quiet", "--out", out, "--report", report, input)
	if code != exitOK && code != exitRowErrors {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	recs := readCSVOut(t, out)
	if len(recs) != n+1 {
		t.Fatalf("%d output rows, want %d", len(recs)-1, n)
	}
	h := recs[0]
	ref, status, result, reqID, errCol := column(t, h, "Ref"), column(t, h, "Status"), column(t, h, "Result"), column(t, h, "RequestId"), column(t, h, "Error")
	for i, rec := range recs[1:] {
		if want := "R" + pad5(i); rec[ref] != want {
			t.Fatalf("output row %d is %s, want %s: not in input order", i, rec[ref], want)
		}
		switch rec[status] {
		case "verified":
			if rec[result] == "" {
				t.Errorf("row %d verified without a Result", i)
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
			t.Errorf("row %d has status %q", i, rec[status])
		}
	}
	rep := readReport(t, report)
	st := sim.Stats()
	if st.Charged < rep.Charged || st.Charged > rep.Charged+rep.PossiblyCharged {
		t.Errorf("simulator charged %d, report brackets [%d, %d]", st.Charged, rep.Charged, rep.Charged+rep.PossiblyCharged)
	}
	if rep.Duplicates != n/5 {
		t.Errorf("duplicates %d, want %d", rep.Duplicates, n/5)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n-n/5 {
		t.Errorf("%d distinct rows reached the service, want %d", len(seen), n-n/5)
	}
	if len(rep.ByError) < 3 || rep.PossiblyCharged == 0 {
		t.Errorf("the faults did not fire: by_error %v, possibly charged %d", rep.ByError, rep.PossiblyCharged)
	}
	t.Logf("simulator %+v; report charged %d possibly %d calls %d by_error %v", st, rep.Charged, rep.PossiblyCharged, rep.Calls, rep.ByError)
	if rep.Calls < st.Answered {
		t.Errorf("report counts %d calls, the simulator answered %d", rep.Calls, st.Answered)
	}
}

func pad5(i int) string { return fmt.Sprintf("%05d", i) }
