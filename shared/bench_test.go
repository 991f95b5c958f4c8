package shared

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/internal/redistest"
)

// BenchmarkGateWait is the shared limiter's own cost per start: Wait at a
// rate so high that it never waits, so each op is one GCRA step in Redis
// (a loopback round trip and the Lua script), from 1 and from 8
// goroutines of one process.
//
//	go test -run '^$' -bench 'GateWait' -benchtime 5000x ./shared
func BenchmarkGateWait(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", par), func(b *testing.B) {
			g := openGate(b, srv, fmt.Sprintf("AKID-bench-%d", par), 1e7)
			ctx := context.Background()
			b.SetParallelism(par) // × GOMAXPROCS
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := g.Wait(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/start")
		})
	}
}

// BenchmarkMemory is the Redis memory's cost per row of a run: a Lookup,
// a ReserveCard and a Record.
func BenchmarkMemory(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	m := openMemory(b, srv, 0, 0)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		p := fake.Person(i)
		k := m.RowKey(p)
		if _, _, err := m.Lookup(ctx, k, epSim, time.Time{}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.ReserveCard(ctx, m.CardKey(p.BankCard), time.Now(), 3); err != nil {
			b.Fatal(err)
		}
		if err := m.Record(ctx, k, batch.Remembered{Result: "0", Charged: batch.ChargedYes, AnsweredAt: time.Now().UTC(), Endpoint: epSim}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGateRate is the rate that 1, 2 and 4 processes sharing one
// budget of 20/s achieve together: each process is a job of 4 workers
// behind its own pacer of 20/s (the run's limiter) and the Gate, for
// BENCH_GATE_SECONDS (default 10) seconds. It reports the combined
// starts/s ((starts − 1) / (last − first)) and the most starts in any
// one-second window.
//
//	go test -run '^$' -bench 'GateRate' -benchtime 1x ./shared
func BenchmarkGateRate(b *testing.B) {
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("BENCH_GATE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	srv := redistest.Start(b, redistest.Options{})
	const qps = 20
	for _, procs := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			for i := range b.N {
				start := time.Now().Add(time.Second)
				end := start.Add(time.Duration(secs) * time.Second)
				env := []string{
					"URL=" + srv.URL(0), fmt.Sprintf("SECRET_ID=AKID-rate-%d-%d", procs, i), fmt.Sprintf("QPS=%d", qps), "WORKERS=4",
					fmt.Sprintf("START=%d", start.UnixNano()), fmt.Sprintf("END=%d", end.UnixNano()),
				}
				var waits []func() []string
				for range procs {
					waits = append(waits, startChild(b, "gate", env...))
				}
				var all []time.Time
				for _, w := range waits {
					all = append(all, parseStarts(b, w())...)
				}
				most, rate := windowStats(all)
				b.ReportMetric(rate, "starts/s")
				b.ReportMetric(float64(most), "max/1s")
			}
		})
	}
}
