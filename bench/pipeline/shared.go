package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// sharedAccount is SPEC section 10's shared account: the service lets this
// job have only -simqps of the requests a second (another job has the
// rest), with latency uniform in [latMin, latMax]; the job runs through
// job.Run at -qps (the default 20), the journal on disk, over -rows valid
// and distinct rows. It prints the exit code, the rows a second over the
// whole run, and the throttled answers against the calls.
func sharedAccount(ctx context.Context, o options) error {
	svc, err := serve(simulator.Config{QPS: o.simQPS, LatencyMin: o.latMin, LatencyMax: o.latMax, Seed: 1}, o.transport)
	if err != nil {
		return err
	}
	defer svc.close()
	dir, err := os.MkdirTemp(o.out, "shared-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "list.csv")
	if err := writePeople(in, o.rows); err != nil {
		return err
	}
	start := time.Now()
	rep, err := job.Run(ctx, job.Plan{
		Input:     in,
		Out:       filepath.Join(dir, "list.results.xlsx"),
		Batch:     batch.Config{QPS: o.qps, Workers: o.workers},
		Fresh:     true,
		Simulated: true,
		Endpoint:  "simulator",
		Version:   "bench",
		Verifier:  svc.client,
	})
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	st := svc.sim.Stats()
	rate := float64(rep.Verified) / elapsed.Seconds()
	fmt.Printf("mode=shared latency=%v–%v rows=%d verified=%d errors=%d exit=%d aborted=%t qps=%g sim_qps=%g workers=%d elapsed_s=%.3f rate_rows=%.3f rate_ratio=%.4f "+
		"sim_requests=%d throttled=%d throttled_ratio=%.4f pace_cuts=%d lowest_qps=%.2f max_in_window=%d\n",
		o.latMin, o.latMax, rep.Rows, rep.Verified, rep.Errors, rep.ExitCode, rep.Aborted, o.qps, o.simQPS, rep.Workers, elapsed.Seconds(), rate, rate/o.simQPS,
		st.Requests, st.Throttled, float64(st.Throttled)/float64(max(st.Requests, 1)), rep.PaceCuts, rep.LowestQPS, st.MaxInWindow)
	return nil
}

// writePeople writes a CSV list of n valid, distinct customers.
func writePeople(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	_ = w.Write([]string{"姓名", "银行卡号", "手机号", "身份证号"})
	for i := range n {
		p := person(i)
		_ = w.Write([]string{p.Name, p.BankCard, p.Phone, p.IDCard})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
