package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// Every exit code of SPEC section 2, through newApp.
func TestVerifyExitCodes(t *testing.T) {
	type result struct {
		code   int
		stderr string
		dir    string
		sim    *simulator.Simulator
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
				if !strings.Contains(r.stderr, "1 row has no answer yet") {
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
			if tt.want == exitTerminated && sigterm == nil {
				t.Skip("no SIGTERM here")
			}
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
		t := time.AfterFunc(d, func() { cancel(job.Signal{Sig: sig}) })
		return ctx, func() { t.Stop(); cancel(nil) }
	}
}
