package main

import (
	"context"
	"fmt"
	"slices"
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
	sim, err := simulator.New(simulator.Config{QPS: o.qps, LatencyMin: o.latMin, LatencyMax: o.latMax, Seed: 1})
	if err != nil {
		return err
	}
	svc, err := startService(sim, o.transport)
	if err != nil {
		return err
	}
	defer svc.close()
	rec := &recorder{v: svc.client, starts: make([]int64, 2*o.rows)}
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
	st := sim.Stats()
	fmt.Printf("mode=rate rows=%d verified=%d errors=%d calls=%d qps=%g workers=%d span_s=%.3f elapsed_s=%.3f "+
		"rate_calls=%.3f rate_ratio=%.4f rate_rows=%.3f rows_ratio=%.4f throttled=%d sim_requests=%d max_arrivals_window=%d max_in_window=%d\n",
		rep.Rows, rep.Verified, rep.Errors, n, o.qps, workersOf(o.workers, o.qps), span.Seconds(), elapsed.Seconds(),
		float64(n-1)/span.Seconds(), float64(n-1)/span.Seconds()/o.qps,
		float64(rep.Rows)/elapsed.Seconds(), float64(rep.Rows)/elapsed.Seconds()/o.qps,
		st.Throttled, st.Requests, st.MaxArrivalsWindow, st.MaxInWindow)
	if sink.rows.Load() != int64(o.rows) {
		return fmt.Errorf("wrote %d rows, want %d", sink.rows.Load(), o.rows)
	}
	return nil
}

// workersOf is the worker count batch.Run uses for workers and qps with the
// default timeout.
func workersOf(workers int, qps float64) int {
	if workers > 0 {
		return workers
	}
	return batch.AutoWorkers(qps, 10*time.Second)
}
