package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/batch/journal"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/writer"
)

// ownCost runs o.input end to end — reader, batch.Run with the journal on,
// the client, an unthrottled simulator with no latency, the XLSX writer —
// and prints rows per second and CPU per row. Simulator and client share
// this process, so the CPU per row includes the simulator's.
func ownCost(ctx context.Context, o options) error {
	sim, svc, err := unthrottled(o.transport)
	if err != nil {
		return err
	}
	defer svc.close()

	out := filepath.Join(o.out, "owncost.results.xlsx")
	jpath := out + ".journal"
	u0, s0 := cpuTime()
	start := time.Now()
	src, err := reader.Open(o.input, reader.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	jr, _, err := journal.Open(jpath, journal.Meta{InputSHA256: "bench", Options: map[string]string{"endpoint": "simulator"}}, true)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(o.out, "owncost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	w, err := writer.Create(out, src.Header(), writer.Options{TempDir: tmp})
	if err != nil {
		return err
	}
	cfg := batch.Config{QPS: 0, Workers: o.workers, Journal: jr}
	rep, err := batch.Run(ctx, src, svc.client, w, cfg)
	if err != nil {
		w.Abort() //nolint:errcheck // the run's error is the one to report
		return fmt.Errorf("run: %w", err)
	}
	if err := w.Close(rep); err != nil {
		return err
	}
	if err := jr.Remove(); err != nil {
		return err
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
