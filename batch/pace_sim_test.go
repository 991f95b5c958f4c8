package batch_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// peopleSource yields n distinct valid rows.
type peopleSource struct{ i, n int }

func (p *peopleSource) Header() batch.Header {
	return batch.Header{Cells: []string{"name", "bankcard", "phone", "idcard"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1}
}
func (p *peopleSource) Blank() int { return 0 }
func (p *peopleSource) Next() (batch.Row, error) {
	if p.i >= p.n {
		return batch.Row{}, io.EOF
	}
	i := p.i
	p.i++
	f := fake.Person(i)
	return batch.Row{Index: i, Line: i + 2, Cells: []string{f.Name, f.BankCard, f.Phone, f.IDCard}, Fields: f}, nil
}

type countSink struct{ n atomic.Int64 }

func (c *countSink) Write(*batch.Result) error { c.n.Add(1); return nil }

// paceClient is a verifier.Client for the simulator at url.
func paceClient(t *testing.T, url string) *verifier.Client {
	t.Helper()
	c, err := verifier.New(verifier.Config{Endpoint: url,
		Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// Another job takes half of the account: the service lets this run have
// 10 of the 20 requests a second it asks for. The run settles at what is
// left and finishes (SPEC section 10: at least 90% of the 10/s, throttled
// answers under 5% of calls). Real time: about a minute.
func TestRunSettlesOnHalfTheAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real time")
	}
	// The target (at least 90% of the 10/s, under 5% throttled, 600 rows)
	// is measured by the shared-account benchmark (make bench) on a quiet
	// machine; this test asserts what must hold on any machine: no abort,
	// every row, far fewer throttles than calls, and a pace that settles
	// near what is left instead of collapsing.
	const rows = 300
	sim, url := fake.StartSimulator(t, simulator.Config{QPS: 10})
	sink := &countSink{}
	start := time.Now()
	rep, err := batch.Run(context.Background(), &peopleSource{n: rows}, paceClient(t, url), sink, batch.Config{QPS: 20})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	st := sim.Stats()
	rate := float64(rows) / elapsed.Seconds()
	t.Logf("%d rows in %v: %.2f/s; %d calls, %d throttled; %d pace cuts, lowest %.2f/s, %d workers",
		rows, elapsed.Round(time.Millisecond), rate, st.Requests, st.Throttled, rep.PaceCuts, rep.LowestQPS, rep.Workers)
	if rep.Aborted || rep.Verified != rows || sink.n.Load() != rows {
		t.Fatalf("aborted %v (%s), verified %d of %d", rep.Aborted, rep.AbortReason, rep.Verified, rows)
	}
	if st.Throttled*10 >= st.Requests {
		t.Errorf("%d of %d calls throttled, want well under 10%%", st.Throttled, st.Requests)
	}
	if rate < 6 {
		t.Errorf("%.2f rows a second: the pace collapsed far below the 10/s left", rate)
	}
	if rep.Throttled != st.Throttled || rep.PaceCuts == 0 || rep.LowestQPS >= 20 {
		t.Errorf("report: throttled %d (service: %d), %d cuts, lowest %v", rep.Throttled, st.Throttled, rep.PaceCuts, rep.LowestQPS)
	}
}

// A throttle storm (every call refused for a while), then normal answers:
// far more throttles than the breaker's limit, yet the run does not abort,
// and it finishes every row once the storm is over. The storm is 3 s with
// the pauses capped at 200 ms (and the breaker at 5), so it holds about as
// many throttles in a row as a 60 s storm does at the default cap of 10 s;
// the 5-minute rule has its own test with the run's clock injected.
func TestRunRidesOutThrottleStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	const rows = 100
	sim, url := fake.StartSimulator(t, simulator.Config{QPS: 20, Faults: simulator.Faults{Throttle: 1}})
	storm := time.AfterFunc(3*time.Second, func() { sim.SetFaults(simulator.Faults{}) })
	defer storm.Stop()
	cfg := batch.Config{QPS: 20, BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond, BreakerLimit: 5}
	rep, err := batch.Run(context.Background(), &peopleSource{n: rows}, paceClient(t, url), &countSink{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := sim.Stats()
	t.Logf("%d calls, %d throttled; %d pace cuts, lowest %.2f/s; %.1f s", st.Requests, st.Throttled, rep.PaceCuts, rep.LowestQPS, rep.DurationSeconds)
	if rep.Aborted || rep.Verified != rows || rep.Errors != 0 {
		t.Fatalf("aborted %v (%s), verified %d of %d, errors %d", rep.Aborted, rep.AbortReason, rep.Verified, rows, rep.Errors)
	}
	if st.Throttled <= cfg.BreakerLimit || rep.Throttled != st.Throttled {
		t.Errorf("%d throttles in the storm (report: %d), want more than the breaker's %d", st.Throttled, rep.Throttled, cfg.BreakerLimit)
	}
	if rep.PaceCuts < 5 || rep.LowestQPS > 20*0.7*0.7*0.7*0.7*0.7 {
		t.Errorf("%d pace cuts, lowest %v in a storm: want a cut for every throttle in a row", rep.PaceCuts, rep.LowestQPS)
	}
}
