package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/memory"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// The CLI's defaults for the memory (SPEC section 11), which the job runs
// with here as `verify --memory` would.
const (
	reuseWithin = 12 * time.Hour
	maxPerCard  = 3
)

// ownCost runs o.input end to end through job.Run, the entry point the
// verify command uses — the pass over the input before any call, the
// reader, batch.Run with the journal on and (unless -memory=false) a
// SQLite memory in a fresh temporary directory, the client, a simulator
// with no latency, the writer — and prints rows per second, CPU per row and
// the process's peak RSS. Simulator and client share this process, as with
// verify --simulate, so the CPU per row and the RSS include the simulator's.
//
// Mode owncost: the simulator unthrottled, no --qps, .xlsx output. Mode
// verify: -qps for the run and the simulator's window (as verify
// --simulate --qps sets both), the output -outext, and with -heapprofile a
// heap profile written once 95% of the rows are done.
func ownCost(ctx context.Context, o options) error {
	svc, err := serve(simulator.Config{QPS: o.qps}, o.transport)
	if err != nil {
		return err
	}
	defer svc.close()

	dir, err := os.MkdirTemp(o.out, "owncost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := batch.Config{QPS: o.qps, Workers: o.workers}
	if o.memory {
		st, err := memory.Open(filepath.Join(dir, "memory", "memory.db"), "", memory.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		ep, err := memory.Endpoint(svc.endpoint)
		if err != nil {
			return err
		}
		cfg.Memory, cfg.Endpoint, cfg.ReuseWithin, cfg.MaxPerCard = st, ep, reuseWithin, maxPerCard
	}
	ext := strings.TrimPrefix(o.outExt, ".")
	out := filepath.Join(dir, "results."+ext)
	prog := &heapAt{path: o.heapProfile, at: 0.95}
	u0, s0 := cpuTime()
	start := time.Now()
	rep, err := job.Run(ctx, job.Plan{
		Input:     o.input,
		Out:       out,
		Journal:   filepath.Join(dir, "results.journal"),
		Batch:     cfg,
		Fresh:     true,
		Force:     true,
		Simulated: true,
		Endpoint:  "simulator",
		Version:   "bench",
		Verifier:  svc.client,
		Progress:  prog,
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	elapsed := time.Since(start)
	u1, s1 := cpuTime()
	cpu := (u1 - u0) + (s1 - s0)
	st := svc.sim.Stats()
	fmt.Printf("mode=%s transport=%s memory=%t out=%s qps=%g rows=%d verified=%d invalid=%d reused=%d deferred=%d errors=%d calls=%d workers=%d exit=%d "+
		"elapsed_s=%.3f rows_per_s=%.1f cpu_s=%.3f user_s=%.3f sys_s=%.3f cpu_us_per_row=%.1f sim_requests=%d throttled=%d maxrss_mb=%.1f heap_profile_at=%d\n",
		o.mode, o.transport, o.memory, ext, o.qps, rep.Rows, rep.Verified, rep.Invalid, rep.Reused, rep.Deferred, rep.Errors, rep.Calls, rep.Workers, rep.ExitCode,
		elapsed.Seconds(), float64(rep.Rows)/elapsed.Seconds(), cpu.Seconds(), (u1 - u0).Seconds(), (s1 - s0).Seconds(),
		float64(cpu.Microseconds())/float64(rep.Rows), st.Requests, st.Throttled, maxRSS(), prog.wroteAt)
	if prog.err != nil {
		return prog.err
	}
	if rep.Errors > 0 || rep.NotAttempted > 0 || rep.ExitCode != 0 {
		return fmt.Errorf("%d rows in error, %d not attempted, exit %d", rep.Errors, rep.NotAttempted, rep.ExitCode)
	}
	return nil
}

// heapAt is the job's progress: it writes a heap profile to path (when not
// "") once the rows done reach the fraction at of the total, near the end
// of the run when whatever grows with the rows is largest.
type heapAt struct {
	path    string
	at      float64
	total   int
	once    sync.Once
	wroteAt int // rows done when the profile was written
	err     error
}

func (h *heapAt) Start(total int) { h.total = total }
func (h *heapAt) Stop()           {}

func (h *heapAt) Update(p batch.Progress) {
	if h.path == "" || h.total == 0 || float64(p.Done) < h.at*float64(h.total) {
		return
	}
	h.once.Do(func() {
		h.wroteAt = p.Done
		runtime.GC() // the profile shows live objects as of the last collection
		f, err := os.Create(h.path)
		if err != nil {
			h.err = fmt.Errorf("heap profile: %w", err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			h.err = fmt.Errorf("heap profile: %w", err)
		}
	})
}
