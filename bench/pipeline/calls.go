package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// calls is the baseline of ownCost: o.rows signed calls from o.workers
// goroutines (64 when 0, as batch.Run uses unthrottled) through the client
// and an unthrottled simulator, with no reader, batch, journal or writer.
func calls(ctx context.Context, o options) error {
	_, svc, err := unthrottled(o.transport)
	if err != nil {
		return err
	}
	defer svc.close()
	workers := workersOf(o.workers, 0)
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	u0, s0 := cpuTime()
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= o.rows {
					return
				}
				if a := svc.client.Verify(ctx, person(i)); a.Result == "" {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	u1, s1 := cpuTime()
	cpu := (u1 - u0) + (s1 - s0)
	fmt.Printf("mode=calls transport=%s calls=%d failed=%d workers=%d elapsed_s=%.3f calls_per_s=%.1f cpu_s=%.3f cpu_us_per_call=%.1f\n",
		o.transport, o.rows, bad.Load(), workers, elapsed.Seconds(), float64(o.rows)/elapsed.Seconds(),
		cpu.Seconds(), float64(cpu.Microseconds())/float64(o.rows))
	if bad.Load() > 0 {
		return fmt.Errorf("%d calls got no result", bad.Load())
	}
	return nil
}
