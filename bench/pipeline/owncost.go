package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
)

// ownCost runs o.input end to end through job.Run, the entry point the
// verify command uses — the pass over the input before any call, the
// reader, batch.Run with the journal on, the client, an unthrottled
// simulator with no latency, the XLSX writer — and prints rows per second
// and CPU per row. Simulator and client share this process, so the CPU per
// row includes the simulator's.
func ownCost(ctx context.Context, o options) error {
	sim, svc, err := unthrottled(o.transport)
	if err != nil {
		return err
	}
	defer svc.close()

	out := filepath.Join(o.out, "owncost.results.xlsx")
	u0, s0 := cpuTime()
	start := time.Now()
	rep, err := job.Run(ctx, job.Plan{
		Input:     o.input,
		Out:       out,
		Batch:     batch.Config{QPS: 0, Workers: o.workers},
		Fresh:     true,
		Force:     true,
		Simulated: true,
		Endpoint:  "simulator",
		Version:   "bench",
		Verifier:  svc.client,
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	elapsed := time.Since(start)
	u1, s1 := cpuTime()
	cpu := (u1 - u0) + (s1 - s0)
	st := sim.Stats()
	fmt.Printf("mode=owncost transport=%s rows=%d verified=%d invalid=%d errors=%d calls=%d workers=%d elapsed_s=%.3f rows_per_s=%.1f "+
		"cpu_s=%.3f user_s=%.3f sys_s=%.3f cpu_us_per_row=%.1f sim_requests=%d maxrss_mb=%.1f\n",
		o.transport, rep.Rows, rep.Verified, rep.Invalid, rep.Errors, rep.Calls, workersOf(o.workers, 0), elapsed.Seconds(),
		float64(rep.Rows)/elapsed.Seconds(), cpu.Seconds(), (u1 - u0).Seconds(), (s1 - s0).Seconds(),
		float64(cpu.Microseconds())/float64(rep.Rows), st.Requests, maxRSS())
	if rep.Errors > 0 || rep.NotAttempted > 0 {
		return fmt.Errorf("%d rows in error, %d not attempted", rep.Errors, rep.NotAttempted)
	}
	os.Remove(out)
	return nil
}
