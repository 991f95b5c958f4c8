package simulator

import (
	"context"
	"sync/atomic"
	"testing"
)

// BenchmarkVerifyParallel measures signed calls per second through the
// verifier client against an unthrottled simulator: the simulator's own
// cost must stay far below the 3,000 rows/s end-to-end target.
func BenchmarkVerifyParallel(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := client(b, base, nil)
	var i atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a := c.Verify(context.Background(), person(int(i.Add(1)))); a.Result == "" {
				b.Errorf("no result: %v %s", a.Class, a.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
