package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// rate sends o.rows rows at o.qps to a simulator that enforces the same
// window, with latency uniform in [latMin, latMax], and prints the rate
// achieved and the throttled answers.
//
// rate is measured two ways: calls over the time from the first request
// start to the last (calls-1 intervals), which is the pacing itself; and
// rows over the whole run, which adds the last call's latency.
func rate(ctx context.Context, o options) error {
	// The simulator notes when each row's first accepted request arrived,
	// to set beside when the run started it: the lag between the two is
	// what the limiter's margin must cover.
	arrived := make([]atomic.Int64, o.rows)
	inject := func(f batch.Fields, _ int) *simulator.Injection {
		if i, err := strconv.Atoi(f.BankCard[4:]); err == nil && i < len(arrived) {
			arrived[i].CompareAndSwap(0, time.Now().UnixNano())
		}
		return nil
	}
	sim, err := simulator.New(simulator.Config{QPS: o.qps, LatencyMin: o.latMin, LatencyMax: o.latMax, Seed: 1, Inject: inject})
	if err != nil {
		return err
	}
	svc, err := startService(sim, o.transport)
	if err != nil {
		return err
	}
	defer svc.close()
	rec := &recorder{v: svc.client, starts: make([]int64, 2*o.rows), latest: make([]atomic.Int64, o.rows)}
	sink := &discard{}
	cfg := batch.Config{QPS: o.qps, Workers: o.workers}
	start := time.Now()
	rep, err := batch.Run(ctx, &memSource{n: o.rows}, rec, sink, cfg)
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	n := int(rec.n.Load())
	starts := slices.Clone(rec.starts[:min(n, len(rec.starts))])
	slices.Sort(starts)
	span := time.Duration(starts[len(starts)-1] - starts[0])
	var lags []float64 // milliseconds
	for i := range arrived {
		if a, s := arrived[i].Load(), rec.latest[i].Load(); a != 0 && s != 0 {
			lags = append(lags, float64(a-s)/1e6)
		}
	}
	slices.Sort(lags)
	st := sim.Stats()
	fmt.Printf("lag_p50_ms=%.2f lag_p99_ms=%.2f lag_max_ms=%.2f ", quantile(lags, 0.5), quantile(lags, 0.99), quantile(lags, 1))
	fmt.Printf("mode=rate rows=%d verified=%d errors=%d calls=%d qps=%g workers=%d span_s=%.3f elapsed_s=%.3f "+
		"rate_calls=%.3f rate_ratio=%.4f rate_rows=%.3f rows_ratio=%.4f throttled=%d sim_requests=%d max_arrivals_window=%d max_in_window=%d max_starts_window=%d\n",
		rep.Rows, rep.Verified, rep.Errors, n, o.qps, workersOf(o.workers, o.qps), span.Seconds(), elapsed.Seconds(),
		float64(n-1)/span.Seconds(), float64(n-1)/span.Seconds()/o.qps,
		float64(rep.Rows)/elapsed.Seconds(), float64(rep.Rows)/elapsed.Seconds()/o.qps,
		st.Throttled, st.Requests, st.MaxArrivalsWindow, st.MaxInWindow, mostInWindow(starts, time.Second))
	if sink.rows.Load() != int64(o.rows) {
		return fmt.Errorf("wrote %d rows, want %d", sink.rows.Load(), o.rows)
	}
	return nil
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
