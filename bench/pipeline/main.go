// Command pipeline runs the rate and own-cost benchmarks of SPEC section 10
// through the real run: batch.Run with a verifier.Client against the
// simulator. It prints one line of key=value figures.
//
//	pipeline -mode rate -rows 2000 -qps 20 -latmin 50ms -latmax 2s
//	pipeline -mode owncost -input big.csv -out dir [-transport tcp|pipe]
//	pipeline -mode calls -rows 100000 -workers 64 [-transport tcp|pipe]
//
// rate: rows made in memory (all valid, no two alike), a simulator on
// loopback enforcing a window of -qps requests a second with latency
// uniform in [latmin, latmax], workers auto; the output is discarded.
// owncost: job.Run, as verify runs it: the pass over the input, reader → batch.Run (journal on) → client → unthrottled simulator
// (no latency) → XLSX writer. calls: the baseline of owncost, -rows signed
// calls from -workers goroutines through the client and the simulator alone.
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
	rows, workers                           int
	qps                                     float64
	latMin, latMax                          time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "", "rate, owncost or calls")
	flag.StringVar(&o.input, "input", "", "owncost: the input file")
	flag.StringVar(&o.out, "out", os.TempDir(), "owncost: directory for the results workbook and journal")
	flag.StringVar(&o.transport, "transport", "tcp", "tcp: the simulator on 127.0.0.1; pipe: in-memory connections (net.Pipe), no kernel")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile to `FILE`")
	flag.IntVar(&o.rows, "rows", 2000, "rate and calls: rows (calls) to send")
	flag.IntVar(&o.workers, "workers", 0, "concurrent requests; 0: auto (batch.AutoWorkers), 64 for calls")
	flag.Float64Var(&o.qps, "qps", 20, "rate: --qps of the run and the simulator's window")
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
		err = ownCost(context.Background(), o)
	case "calls":
		err = calls(context.Background(), o)
	default:
		err = fmt.Errorf("mode %q: want rate, owncost or calls", o.mode)
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
