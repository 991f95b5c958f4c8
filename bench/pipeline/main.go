// Command pipeline runs the rate and own-cost benchmarks of SPEC section 10
// through the real run: batch.Run with a verifier.Client against the
// simulator. It prints one line of key=value figures.
//
//	pipeline -mode rate -rows 2000 -qps 20 -latmin 50ms -latmax 2s
//	pipeline -mode owncost -input big.csv -out dir [-transport tcp|pipe] [-memory=false]
//	pipeline -mode verify -input big.csv -qps 100000 -outext csv -heapprofile heap.prof
//	pipeline -mode shared -rows 600 -qps 20 -simqps 10 -latmin 50ms -latmax 2s
//	pipeline -mode calls -rows 100000 -workers 64 [-transport tcp|pipe]
//
// rate: rows made in memory (all valid, no two alike), a simulator on
// loopback enforcing a window of -qps requests a second with latency
// uniform in [latmin, latmax], workers auto; the output is discarded. The
// simulator runs in a process of its own at a higher priority (mode
// simulator, see simproc.go) unless -simproc=false.
// owncost: job.Run, as verify runs it: the pass over the input, reader →
// batch.Run (journal and SQLite memory on) → client → unthrottled simulator
// (no latency) → XLSX writer. verify: the same at -qps (the simulator's
// window too), output -outext, with an optional heap profile near the end.
// shared: a simulator letting the job have -simqps, the job at -qps.
// calls: the baseline of owncost, -rows signed calls from -workers
// goroutines through the client and the simulator alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

// options are the command-line flags.
type options struct {
	mode, input, out, transport, cpuprofile string
	simNet                                  string
	outExt, heapProfile                     string
	memory, simProc                         bool
	rows, workers                           int
	qps, simQPS                             float64
	latMin, latMax                          time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "", "rate, shared, owncost, verify or calls")
	flag.StringVar(&o.input, "input", "", "owncost: the input file")
	flag.StringVar(&o.out, "out", os.TempDir(), "owncost: directory for the results workbook and journal")
	flag.StringVar(&o.transport, "transport", "tcp", "tcp: the simulator on 127.0.0.1; pipe: in-memory connections (net.Pipe), no kernel")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile to `FILE`")
	flag.IntVar(&o.rows, "rows", 2000, "rate and calls: rows (calls) to send")
	flag.IntVar(&o.workers, "workers", 0, "concurrent requests; 0: auto (batch.AutoWorkers), 64 for calls")
	flag.Float64Var(&o.qps, "qps", 20, "rate, verify: --qps of the run and the simulator's window; shared: --qps of the run; owncost: ignored (no limit)")
	flag.Float64Var(&o.simQPS, "simqps", 10, "shared: the simulator's window, the requests a second left to this job")
	flag.BoolVar(&o.memory, "memory", true, "owncost, verify: a SQLite memory of earlier answers in a temporary directory")
	flag.StringVar(&o.outExt, "outext", "xlsx", "owncost, verify: the output, xlsx or csv")
	flag.StringVar(&o.heapProfile, "heapprofile", "", "owncost, verify: write a heap profile to `FILE` when 95% of the rows are done")
	flag.BoolVar(&o.simProc, "simproc", true, "rate: the simulator in a process of its own, at niceness -10 when allowed (false: in this process)")
	flag.StringVar(&o.simNet, "simnet", "unix", "rate with -simproc: the simulator process's socket, unix or tcp (loopback)")
	flag.DurationVar(&o.latMin, "latmin", 50*time.Millisecond, "rate: simulator latency, lowest")
	flag.DurationVar(&o.latMax, "latmax", 2*time.Second, "rate: simulator latency, highest")
	flag.Parse()

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			fail(fmt.Errorf("cpu profile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(fmt.Errorf("cpu profile: %w", err))
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	var err error
	switch o.mode {
	case "rate":
		err = rate(context.Background(), o)
	case "owncost":
		o.qps = 0
		err = ownCost(context.Background(), o)
	case "verify":
		err = ownCost(context.Background(), o)
	case "shared":
		err = sharedAccount(context.Background(), o)
	case "calls":
		err = calls(context.Background(), o)
	case "simulator":
		err = serveSimulator(o)
	default:
		err = fmt.Errorf("mode %q: want rate, shared, owncost, verify or calls", o.mode)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pipeline:", err)
	os.Exit(1)
}
