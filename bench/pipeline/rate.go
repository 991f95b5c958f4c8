package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/batch/journal"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// rate sends o.rows rows at o.qps to a simulator that enforces the same
// window, with latency uniform in [latMin, latMax], with the journal on
// disk in o.out, and prints the rate achieved (rate_pct: percent of o.qps,
// to 0.01%) and the throttled answers.
//
// rate is measured two ways: calls over the time from the first request
// start to the last (calls-1 intervals), which is the pacing itself; and
// rows over the whole run, which adds the last call's latency.
func rate(ctx context.Context, o options) error {
	// The simulator notes when each row's first accepted request arrived,
	// to set beside when the run started it: the lag between the two is
	// what the limiter's margin must cover.
	var (
		client   *verifier.Client
		finish   func() (simReport, error) // stops the service; its figures
		simNiceV = niceness()
	)
	if o.simProc {
		p, err := startSimProcess(ctx, o)
		if err != nil {
			return err
		}
		client, finish = p.client, p.stop
	} else {
		arrived := make([]atomic.Int64, o.rows)
		inject := func(f batch.Fields, _ int) *simulator.Injection {
			if i, err := rowOf(f); err == nil && i < len(arrived) {
				arrived[i].CompareAndSwap(0, time.Now().UnixNano())
			}
			return nil
		}
		svc, err := serve(simulator.Config{QPS: o.qps, LatencyMin: o.latMin, LatencyMax: o.latMax, Seed: 1, Inject: inject}, o.transport)
		if err != nil {
			return err
		}
		client = svc.client
		finish = func() (simReport, error) {
			rep := simReport{Stats: svc.sim.Stats(), Arrived: make([]int64, len(arrived)), Nice: simNiceV, Group: autogroup(), Sched: schedClass()}
			for i := range arrived {
				rep.Arrived[i] = arrived[i].Load()
			}
			svc.close()
			return rep, nil
		}
	}
	stopped := false
	defer func() {
		if !stopped {
			finish() //nolint:errcheck // the run failed: its error is the one returned
		}
	}()
	rec := &recorder{v: client, starts: make([]int64, 2*o.rows), latest: make([]atomic.Int64, o.rows), wrote: make([]atomic.Int64, o.rows)}
	sink := &discard{}
	// The journal on disk, as a real run has it: each attempt is synced
	// before its request goes out.
	jpath := filepath.Join(o.out, fmt.Sprintf("rate-%d.journal", os.Getpid()))
	jr, _, err := journal.Open(jpath, journal.Meta{InputSHA256: "bench", Options: map[string]string{"endpoint": "simulator"}}, true)
	if err != nil {
		return err
	}
	defer os.Remove(jpath)
	cfg := batch.Config{QPS: o.qps, Workers: o.workers, Journal: &timedJournal{Journal: jr}}
	start, steal := time.Now(), stealTime()
	rep, err := batch.Run(ctx, &memSource{n: o.rows}, rec, sink, cfg)
	elapsed, steal := time.Since(start), stealTime()-steal
	if err != nil {
		jr.Close()
		return fmt.Errorf("run: %w", err)
	}
	if err := jr.Remove(); err != nil {
		return err
	}
	jt := cfg.Journal.(*timedJournal)
	n := int(rec.n.Load())
	starts := slices.Clone(rec.starts[:min(n, len(rec.starts))])
	slices.Sort(starts)
	span := time.Duration(starts[len(starts)-1] - starts[0])
	stopped = true
	srep, err := finish()
	if err != nil {
		return err
	}
	arrived := srep.Arrived
	var lags []float64 // milliseconds
	for i := range arrived {
		if a, s := arrived[i], rec.latest[i].Load(); a != 0 && s != 0 {
			lags = append(lags, float64(a-s)/1e6)
		}
	}
	slices.Sort(lags)
	var wlags, alags []float64 // stamp → written, written → arrived
	for i := range arrived {
		if a, s, w := arrived[i], rec.latest[i].Load(), rec.wrote[i].Load(); a != 0 && s != 0 && w != 0 {
			wlags = append(wlags, float64(w-s)/1e6)
			alags = append(alags, float64(a-w)/1e6)
		}
	}
	slices.Sort(wlags)
	slices.Sort(alags)
	fmt.Printf("write_lag_p99_ms=%.3f write_lag_max_ms=%.3f wire_lag_p99_ms=%.3f wire_lag_max_ms=%.3f ", quantile(wlags, 0.99), quantile(wlags, 1), quantile(alags, 0.99), quantile(alags, 1))
	st := srep.Stats
	waits := jt.waits()
	fmt.Printf("lag_p50_ms=%.3f lag_p99_ms=%.3f lag_max_ms=%.3f journal_wait_p50_ms=%.3f journal_wait_p99_ms=%.3f journal_wait_max_ms=%.3f ",
		quantile(lags, 0.5), quantile(lags, 0.99), quantile(lags, 1), quantile(waits, 0.5), quantile(waits, 0.99), quantile(waits, 1))
	group := "none"
	if f := strings.Fields(srep.Group); len(f) == 3 && f[1] == "nice" {
		group = f[2]
	}
	net := "tcp"
	if o.simProc {
		net = o.simNet
	}
	fmt.Printf("steal_ms=%d ", steal.Milliseconds())
	fmt.Printf("sim_process=%t sim_net=%s sim_sched=%s sim_nice=%d sim_group_nice=%s ", o.simProc, net, srep.Sched, srep.Nice, group)
	fmt.Printf("mode=rate rows=%d verified=%d errors=%d calls=%d qps=%g workers=%d span_s=%.3f elapsed_s=%.3f "+
		"rate_calls=%.3f rate_ratio=%.4f rate_pct=%.2f rate_rows=%.3f rows_ratio=%.4f throttled=%d pace_cuts=%d sim_requests=%d max_arrivals_window=%d max_in_window=%d max_starts_window=%d\n",
		rep.Rows, rep.Verified, rep.Errors, n, o.qps, rep.Workers, span.Seconds(), elapsed.Seconds(),
		float64(n-1)/span.Seconds(), float64(n-1)/span.Seconds()/o.qps, 100*float64(n-1)/span.Seconds()/o.qps,
		float64(rep.Rows)/elapsed.Seconds(), float64(rep.Rows)/elapsed.Seconds()/o.qps,
		st.Throttled, rep.PaceCuts, st.Requests, st.MaxArrivalsWindow, st.MaxInWindow, mostInWindow(starts, time.Second))
	if sink.rows.Load() != int64(o.rows) {
		return fmt.Errorf("wrote %d rows, want %d", sink.rows.Load(), o.rows)
	}
	return nil
}

// timedJournal notes how long each Attempt waited for the disk.
type timedJournal struct {
	*journal.Journal
	mu sync.Mutex
	ms []float64
}

func (j *timedJournal) Attempt(row, n int) error {
	t := time.Now()
	err := j.Journal.Attempt(row, n)
	d := float64(time.Since(t).Nanoseconds()) / 1e6
	j.mu.Lock()
	j.ms = append(j.ms, d)
	j.mu.Unlock()
	return err
}

// waits are the Attempt waits, milliseconds, sorted.
func (j *timedJournal) waits() []float64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Sorted(slices.Values(j.ms))
}

// workersOf is the worker count batch.Run starts with for workers and qps.
func workersOf(workers int, qps float64) int {
	if workers > 0 {
		return workers
	}
	return batch.AutoWorkers(qps)
}

// mostInWindow is the most of the sorted times ts (unix nanoseconds) that
// fall in any window of length d: the client's side of the simulator's
// MaxArrivalsWindow, taken when each call entered the verifier.
func mostInWindow(ts []int64, d time.Duration) int {
	most, j := 0, 0
	for i := range ts {
		for ts[i]-ts[j] >= int64(d) {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// quantile is the q-quantile of the sorted xs (0 when empty).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[min(len(xs)-1, int(q*float64(len(xs))))]
}
