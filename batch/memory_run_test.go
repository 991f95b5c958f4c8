package batch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/batch/journal"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// clock is a settable time for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// listSource serves rows made from fields.
type listSource struct {
	fields []batch.Fields
	i      int
}

func (s *listSource) Header() batch.Header {
	return batch.Header{Cells: []string{"Name", "BankCard", "Phone", "IdCard"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1}
}
func (s *listSource) Blank() int { return 0 }
func (s *listSource) Next() (batch.Row, error) {
	if s.i >= len(s.fields) {
		return batch.Row{}, io.EOF
	}
	f := s.fields[s.i]
	s.i++
	return batch.Row{Index: s.i - 1, Line: s.i + 1, Cells: []string{f.Name, f.BankCard, f.Phone, f.IDCard}, Fields: f}, nil
}

type sink struct{ got []batch.Outcome }

func (s *sink) Write(r *batch.Result) error { s.got = append(s.got, r.Outcome); return nil }

func people(from, n int) []batch.Fields {
	out := make([]batch.Fields, n)
	for i := range out {
		out[i] = fake.Person(from + i)
	}
	return out
}

func client(t *testing.T, url string) *verifier.Client {
	t.Helper()
	c, err := verifier.New(verifier.Config{
		Endpoint:   url,
		Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey},
		Timeout:    5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func memCfg(m batch.Memory, url string, clk *clock) batch.Config {
	return batch.Config{
		Workers: 8, Attempts: 1, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
		Memory: m, Endpoint: url, ReuseWithin: 12 * time.Hour, Now: clk.Now,
	}
}

func run(t *testing.T, v batch.Verifier, cfg batch.Config, fields []batch.Fields) (*batch.Report, []batch.Outcome) {
	t.Helper()
	s := &sink{}
	rep, err := batch.Run(context.Background(), &listSource{fields: fields}, v, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.got) != len(fields) {
		t.Fatalf("%d rows written, want %d", len(s.got), len(fields))
	}
	return rep, s.got
}

func notReusable(o batch.Outcome) bool { return o.Result == "-18" || o.Result == "-19" }

// TestRunReusesMemory: a rerun of a finished list pays only for the rows
// whose answer may not be reused; changed rows are sent; --reuse-within 0
// and another endpoint send every row.
func TestRunReusesMemory(t *testing.T) {
	const n = 300
	list := people(1, n)
	busy := map[string]bool{}
	for i := 0; i < n; i += 25 {
		busy[list[i].Name] = true
	}
	simCfg := simulator.Config{Inject: func(f batch.Fields, _ int) *simulator.Injection {
		if busy[f.Name] {
			return &simulator.Injection{Result: "-18"}
		}
		return nil
	}}
	sim, url := fake.StartSimulator(t, simCfg)
	sim2, url2 := fake.StartSimulator(t, simCfg)
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.FixedZone("CST", 8*3600))
	clk := &clock{t: t0}
	v := client(t, url)

	rep1, first := run(t, v, memCfg(mem, url, clk), list)
	if got := sim.Stats().Requests; got != n || rep1.Calls != n || rep1.Verified != n {
		t.Fatalf("first run: %d requests, %d calls, %d verified; want %d", got, rep1.Calls, rep1.Verified, n)
	}
	skip := 0
	for i, o := range first {
		if !o.AnsweredAt.Equal(t0) || o.AnsweredAt.Location() != time.UTC {
			t.Errorf("row %d: Answered at %v, want %v in UTC", i, o.AnsweredAt, t0.UTC())
		}
		if notReusable(o) {
			skip++
		}
	}
	if skip <= len(busy) {
		t.Fatalf("the list has no -19 rows (%d -18/-19): the test would not show they are sent again", skip)
	}
	if got := len(mem.Entries()); got != n-skip {
		t.Errorf("memory holds %d answers, want %d (no -18, -19)", got, n-skip)
	}

	t.Run("rerun", func(t *testing.T) {
		clk.Set(t0.Add(time.Hour))
		before := sim.Stats().Requests
		rep, got := run(t, v, memCfg(mem, url, clk), list)
		if sent := sim.Stats().Requests - before; sent != skip {
			t.Errorf("rerun sent %d calls, want %d (the -18/-19 rows)", sent, skip)
		}
		for i, o := range got {
			if notReusable(first[i]) {
				if o.Status != batch.StatusVerified || o.Calls != 1 {
					t.Errorf("row %d (%s first): %+v, want sent again", i, first[i].Result, o)
				}
				continue
			}
			if o.Status != batch.StatusReused || o.RequestID != first[i].RequestID || o.Result != first[i].Result ||
				o.Charged != batch.ChargedNo || !o.AnsweredAt.Equal(first[i].AnsweredAt) || o.Calls != 0 {
				t.Errorf("row %d: %+v, want reused from %+v", i, o, first[i])
			}
		}
		if rep.Reused != n-skip {
			t.Errorf("reused %d, want %d", rep.Reused, n-skip)
		}
		if rep.Verdicts[string(batch.VerdictRetryLater)] < skip {
			t.Errorf("verdicts %v", rep.Verdicts)
		}
	})

	t.Run("ten rows changed", func(t *testing.T) {
		changed := append([]batch.Fields(nil), list...)
		want := 10
		for i := range 10 {
			changed[i*7] = fake.Person(10000 + i)
		}
		for i := range changed {
			if changed[i] == list[i] && notReusable(first[i]) {
				want++
			}
		}
		before := sim.Stats().Requests
		run(t, v, memCfg(mem, url, clk), changed)
		if sent := sim.Stats().Requests - before; sent != want {
			t.Errorf("sent %d calls, want %d (10 changed + the unchanged -18/-19)", sent, want)
		}
	})

	t.Run("reuse within 0", func(t *testing.T) {
		cfg := memCfg(mem, url, clk)
		cfg.ReuseWithin = 0
		before := sim.Stats().Requests
		rep, _ := run(t, v, cfg, list)
		if sent := sim.Stats().Requests - before; sent != n || rep.Reused != 0 {
			t.Errorf("sent %d, reused %d; want %d, 0", sent, rep.Reused, n)
		}
	})

	t.Run("another endpoint", func(t *testing.T) {
		rep, _ := run(t, client(t, url2), memCfg(mem, url2, clk), list)
		if sent := sim2.Stats().Requests; sent != n || rep.Reused != 0 {
			t.Errorf("sent %d, reused %d; want %d, 0", sent, rep.Reused, n)
		}
	})

	t.Run("outside the window", func(t *testing.T) {
		clk.Set(t0.Add(14 * time.Hour))
		before := sim.Stats().Requests
		rep, _ := run(t, v, memCfg(mem, url, clk), list)
		// The reuse-within-0 run above recorded answers at t0+1h: 13 h later they are too old.
		if sent := sim.Stats().Requests - before; sent != n || rep.Reused != 0 {
			t.Errorf("sent %d, reused %d; want %d, 0", sent, rep.Reused, n)
		}
	})
}

// always answers every request with Result 0 (charged), after the first
// throttled requests when throttled > 0.
func always(throttled int) simulator.Config {
	return simulator.Config{Inject: func(_ batch.Fields, n int) *simulator.Injection {
		switch {
		case n <= throttled/2:
			return &simulator.Injection{Error: "RequestLimitExceeded"}
		case n <= throttled:
			return &simulator.Injection{HTTPStatus: 503}
		}
		return &simulator.Injection{Result: "0"}
	}}
}

// sameCard is n people who share one bank card.
func sameCard(n int) []batch.Fields {
	list := people(500, n)
	for i := range list {
		list[i].BankCard = list[0].BankCard
	}
	return list
}

// The card guard holds, whether the card is counted by ReserveCard or, by
// a CardClaimer without a budget, with the row's claim; and with a budget
// a CardClaimer's card is counted by ReserveCard after the budget's slot.
func TestRunCardGuard(t *testing.T) {
	for _, kind := range []string{"ReserveCard", "LookupOrClaimCard", "LookupOrClaimCard with a budget"} {
		t.Run(kind, func(t *testing.T) {
			mem := fake.NewMemory()
			var m batch.Memory = mem
			budget := 0
			if kind != "ReserveCard" {
				m = fake.CardClaimer{LookupClaimer: fake.LookupClaimer{Memory: mem}}
			}
			if kind == "LookupOrClaimCard with a budget" {
				budget = 1000
			}
			checkCardGuard(t, mem, m, budget)
			joined, reserved := mem.Ops("lookup or claim card"), mem.Ops("reserve")
			if kind == "LookupOrClaimCard" && (joined == 0 || reserved != 0) || kind != "LookupOrClaimCard" && (joined != 0 || reserved == 0) {
				t.Errorf("%d LookupOrClaimCard and %d ReserveCard calls", joined, reserved)
			}
		})
	}
}

func checkCardGuard(t *testing.T, mem *fake.Memory, m batch.Memory, budget int) {
	sim, url := fake.StartSimulator(t, always(0))
	t0 := time.Date(2026, 12, 1, 21, 30, 15, 250, time.UTC)
	clk := &clock{t: t0}
	v := client(t, url)
	list := sameCard(6)
	cfg := memCfg(m, url, clk)
	cfg.MaxPerCard = 3
	cfg.ReuseWithin = 48 * time.Hour
	cfg.MaxCharged = budget

	rep, got := run(t, v, cfg, list)
	if sent := sim.Stats().Requests; sent != 3 {
		t.Errorf("sent %d calls for one card, want 3", sent)
	}
	wantAt := time.Date(2026, 12, 2, 21, 30, 16, 0, time.UTC)
	deferred := 0
	for i, o := range got {
		if o.Status != batch.StatusDeferred {
			continue
		}
		deferred++
		if !o.AnsweredAt.Equal(wantAt) || !strings.Contains(o.Error, "2026-12-02T21:30:16Z") || o.Calls != 0 {
			t.Errorf("row %d: deferred %+v, want retry time %v in Answered at and Error", i, o, wantAt)
		}
		if strings.Contains(o.Error, list[0].BankCard) || strings.Contains(o.Error, list[0].BankCard[12:]) {
			t.Errorf("row %d: Error names the card: %q", i, o.Error)
		}
		if o.Verdict() != batch.VerdictRetryLater {
			t.Errorf("row %d: verdict %q", i, o.Verdict())
		}
	}
	if deferred != 3 || rep.Deferred != 3 || rep.Verified != 3 {
		t.Errorf("deferred %d (report %d), verified %d; want 3, 3, 3", deferred, rep.Deferred, rep.Verified)
	}

	// Within the window: still deferred, nothing sent.
	clk.Set(t0.Add(23 * time.Hour))
	rep, _ = run(t, v, cfg, list)
	if sent := sim.Stats().Requests; sent != 3 || rep.Deferred != 3 || rep.Reused != 3 {
		t.Errorf("within 24 h: %d calls in all, deferred %d, reused %d; want 3, 3, 3", sent, rep.Deferred, rep.Reused)
	}

	// After the time the rows were given: sent.
	clk.Set(wantAt)
	rep, _ = run(t, v, cfg, list)
	if sent := sim.Stats().Requests; sent != 6 || rep.Deferred != 0 || rep.Reused != 3 || rep.Verified != 3 {
		t.Errorf("after the window: %d calls in all, deferred %d, reused %d, verified %d; want 6, 0, 3, 3", sent, rep.Deferred, rep.Reused, rep.Verified)
	}
}

func TestRunCardGuardIgnoresThrottles(t *testing.T) {
	const throttled = 4
	sim, url := fake.StartSimulator(t, always(throttled))
	mem := fake.NewMemory()
	clk := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	list := sameCard(3)
	cfg := memCfg(mem, url, clk)
	cfg.MaxPerCard = 3
	cfg.Attempts = 5
	rep, _ := run(t, client(t, url), cfg, list)
	if rep.Verified != 3 || rep.Deferred != 0 {
		t.Errorf("verified %d, deferred %d; want 3, 0: throttled and 5xx attempts used up the card's count", rep.Verified, rep.Deferred)
	}
	if st := sim.Stats(); st.Requests != 3+throttled || st.Throttled != throttled/2 {
		t.Errorf("requests %d (throttled %d), want %d (%d)", st.Requests, st.Throttled, 3+throttled, throttled/2)
	}
	if got := mem.CardCalls(list[0].BankCard, clk.Now()); got != 3 {
		t.Errorf("card guard counts %d calls, want 3", got)
	}
}

// TestRunBudget: --max-charged 40 on 300 chargeable rows lets the service
// charge at most 40; a rerun with the same cap sends nothing; a rerun with
// a higher cap resumes from the journal and charges each row once.
func TestRunBudget(t *testing.T) {
	const n = 300
	cfgSim := always(0)
	cfgSim.LatencyMin, cfgSim.LatencyMax = time.Millisecond, 5*time.Millisecond
	sim, url := fake.StartSimulator(t, cfgSim)
	v := client(t, url)
	list := people(2000, n)
	path := filepath.Join(t.TempDir(), "job.journal")
	meta := journal.Meta{InputSHA256: "00", InputSize: n}

	runJob := func(max int) *batch.Report {
		t.Helper()
		jr, st, err := journal.Open(path, meta, false)
		if err != nil {
			t.Fatal(err)
		}
		defer jr.Close()
		cfg := batch.Config{Workers: 32, MaxCharged: max, Journal: jr, Resume: &batch.Resume{Final: st.Final, Carry: st.Carry}}
		rep, _ := run(t, v, cfg, list)
		return rep
	}

	rep := runJob(40)
	if got := sim.Stats().Charged; got != 40 {
		t.Errorf("the service charged %d calls under --max-charged 40", got)
	}
	if !rep.Aborted || rep.AbortCode != batch.AbortBudget || !strings.HasPrefix(rep.AbortReason, "budget reached") || rep.NotAttempted == 0 {
		t.Errorf("aborted %v code %q reason %q not attempted %d", rep.Aborted, rep.AbortCode, rep.AbortReason, rep.NotAttempted)
	}
	charged1 := sim.Stats().Charged

	rep = runJob(40)
	if got := sim.Stats().Requests; got != charged1 || rep.AbortCode != batch.AbortBudget {
		t.Errorf("rerun under the same cap: %d requests in all (want %d), abort %q", got, charged1, rep.AbortCode)
	}

	rep = runJob(1000)
	if got := sim.Stats().Charged; got != n {
		t.Errorf("the service charged %d calls for %d rows: a row was paid twice or not at all", got, n)
	}
	if rep.Aborted || rep.Verified != n || rep.Charged != n {
		t.Errorf("rerun with a higher cap: aborted %v (%q), verified %d, charged %d", rep.Aborted, rep.AbortReason, rep.Verified, rep.Charged)
	}
}

// TestRunBudgetCountsInFlight: with every worker sending at once, the cap
// holds because an attempt is counted before it is sent; free answers give
// their place back.
func TestRunBudgetCountsInFlight(t *testing.T) {
	sim, url := fake.StartSimulator(t, simulator.Config{
		LatencyMin: 2 * time.Millisecond, LatencyMax: 10 * time.Millisecond,
		Inject: func(f batch.Fields, n int) *simulator.Injection {
			if n%2 == 0 {
				return &simulator.Injection{Result: "-19"}
			}
			return &simulator.Injection{Result: "0"}
		}})
	cfg := batch.Config{Workers: 64, MaxCharged: 10}
	rep, _ := run(t, client(t, url), cfg, people(3000, 200))
	st := sim.Stats()
	if st.Charged != 10 {
		t.Errorf("charged %d, want exactly 10: in-flight calls over the cap, or free answers kept their place", st.Charged)
	}
	if st.Free == 0 || rep.AbortCode != batch.AbortBudget {
		t.Errorf("free %d, abort %q", st.Free, rep.AbortCode)
	}
}

func TestRunMemoryLost(t *testing.T) {
	for _, op := range []string{"lookup", "reserve", "record", "release"} {
		t.Run(op, func(t *testing.T) {
			throttled := 0
			if op == "release" {
				throttled = 12 // a throttled or 5xx attempt releases its card reservation
			}
			sim, url := fake.StartSimulator(t, always(throttled))
			mem := fake.NewMemory()
			var okOps atomic.Int64
			mem.Fail = func(o string) error {
				if o == op && okOps.Add(1) > 5 {
					return errors.New("database is locked")
				}
				return nil
			}
			clk := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
			cfg := memCfg(mem, url, clk)
			cfg.MaxPerCard = 3
			cfg.Attempts = 5
			rep, got := run(t, client(t, url), cfg, people(4000, 100))
			if !rep.Aborted || rep.AbortCode != batch.AbortSharedLost || !strings.Contains(rep.AbortReason, "memory") || !strings.Contains(rep.AbortReason, "database is locked") {
				t.Errorf("aborted %v code %q reason %q", rep.Aborted, rep.AbortCode, rep.AbortReason)
			}
			sent := sim.Stats().Requests
			// Five reservations succeed; the sixth fails and stops the run.
			// A reserved call may or may not still go out, but none
			// without its reservation.
			if op == "reserve" && sent > 5 {
				t.Errorf("%d calls sent, want at most 5: a call went out without its card reservation", sent)
			}
			if sent > 5+cfg.Workers+throttled {
				t.Errorf("%d calls sent after the memory failed", sent)
			}
			if rep.NotAttempted == 0 {
				t.Errorf("no row left not attempted: %+v", rep)
			}
			calls := 0
			for _, o := range got {
				calls += o.Calls
			}
			if calls != sent {
				t.Errorf("rows count %d calls, the service got %d", calls, sent)
			}
		})
	}
}

// BenchmarkRunMemory measures the run's own cost with the memory on and
// off: rows/s through batch.Run, the journal on, against an unthrottled
// in-process simulator, with an in-process memory (so the figure is the
// run's side of the memory, not a store's I/O). "reused" is a rerun that
// the memory answers entirely.
//
//	go test -run '^$' -bench RunMemory -benchtime 3x ./batch
func BenchmarkRunMemory(b *testing.B) {
	const n = 20_000
	list := people(100_000, n)
	_, url := fake.StartSimulator(b, simulator.Config{})
	c, err := verifier.New(verifier.Config{Endpoint: url, Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	for _, mode := range []string{"off", "new", "reused"} {
		b.Run(mode, func(b *testing.B) {
			var rows, secs float64
			for i := range b.N {
				cfg := batch.Config{MaxPerCard: 3, ReuseWithin: 12 * time.Hour, Endpoint: url}
				if mode != "off" {
					mem := fake.NewMemory()
					if mode == "reused" {
						b.StopTimer()
						cfg.Memory = mem
						cfg.MaxPerCard = 0
						if _, err := batch.Run(context.Background(), &listSource{fields: list}, c, &sink{}, cfg); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					cfg.Memory = mem
				}
				jr, st, err := journal.Open(filepath.Join(b.TempDir(), fmt.Sprint(i, ".journal")), journal.Meta{InputSHA256: "00"}, false)
				if err != nil {
					b.Fatal(err)
				}
				cfg.Journal, cfg.Resume = jr, &batch.Resume{Final: st.Final, Carry: st.Carry}
				start := time.Now()
				rep, err := batch.Run(context.Background(), &listSource{fields: list}, c, &sink{}, cfg)
				secs += time.Since(start).Seconds()
				jr.Close()
				if err != nil || rep.Rows != n {
					b.Fatal(err, rep.Rows)
				}
				if mode == "reused" && rep.Reused != n-rep.ByResult["-19"] {
					b.Fatalf("reused %d of %d", rep.Reused, n)
				}
				rows += n
			}
			b.ReportMetric(rows/secs, "rows/s")
		})
	}
}

// TestRunMemoryDuplicatesAndResume: a later copy of a reused row gets the
// reused answer, a later copy of a deferred row is deferred too, and a
// row already final in the journal stays as it was, without a lookup.
func TestRunMemoryDuplicatesAndResume(t *testing.T) {
	sim, url := fake.StartSimulator(t, always(0))
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	v := client(t, url)
	a, b := fake.Person(7001), fake.Person(7002)
	earlier := batch.Remembered{Result: "-6", Description: "mismatch", Charged: batch.ChargedYes,
		RequestID: "aaaaaaaa-0000-4000-8000-000000000001", AnsweredAt: t0.Add(-time.Hour), Endpoint: url}
	if err := mem.Record(context.Background(), mem.RowKey(a), earlier); err != nil {
		t.Fatal(err)
	}
	// b's card is over the guard's cap already.
	if r, _ := mem.ReserveCard(context.Background(), mem.CardKey(b.BankCard), t0.Add(-2*time.Hour), 1); !r.OK {
		t.Fatal("could not fill the card guard")
	}
	list := []batch.Fields{a, b, a, b, fake.Person(7003)}
	finder := batch.NewRepeatFinder()
	for _, f := range list {
		finder.Add(f)
	}
	cfg := memCfg(mem, url, clk)
	cfg.MaxPerCard = 1
	cfg.Repeats = finder.Repeats()
	resumed := batch.Outcome{Status: batch.StatusVerified, Result: "0", Charged: batch.ChargedYes, RequestID: "bbbbbbbb-0000-4000-8000-000000000002", Calls: 1}
	cfg.Resume = &batch.Resume{Final: map[int]batch.Outcome{4: resumed}}
	lookups := mem.Ops("lookup")
	rep, got := run(t, v, cfg, list)
	if sim.Stats().Requests != 0 {
		t.Errorf("%d calls sent, want none", sim.Stats().Requests)
	}
	if o := got[0]; o.Status != batch.StatusReused || o.RequestID != earlier.RequestID || !o.AnsweredAt.Equal(earlier.AnsweredAt) {
		t.Errorf("row 0: %+v, want reused", o)
	}
	if o := got[2]; o.Status != batch.StatusDuplicate || o.RequestID != earlier.RequestID || !o.AnsweredAt.Equal(earlier.AnsweredAt) || o.Result != "-6" {
		t.Errorf("row 2: %+v, want a duplicate of the reused row", o)
	}
	if o := got[1]; o.Status != batch.StatusDeferred || !o.AnsweredAt.Equal(t0.Add(22*time.Hour)) {
		t.Errorf("row 1: %+v, want deferred until %v", o, t0.Add(22*time.Hour))
	}
	if o := got[3]; o.Status != batch.StatusDeferred || o.AnsweredAt != got[1].AnsweredAt || o.Error != got[1].Error {
		t.Errorf("row 3: %+v, want deferred like its first copy", o)
	}
	if o := got[4]; o != resumed {
		t.Errorf("row 4: %+v, want the journal's %+v", o, resumed)
	}
	// Row 0 is found by its first lookup (no claim); row 1 is not, so it
	// is claimed and looked up again; row 4, final in the journal, is not
	// looked up at all.
	if n := mem.Ops("lookup") - lookups; n != 3 {
		t.Errorf("%d lookups, want 3 (1 for the remembered row, 2 for the new one, none for the journal's)", n)
	}
	if n := mem.Ops("claim"); n != 1 {
		t.Errorf("%d claims, want 1: a remembered row is reused without a claim", n)
	}
	if rep.Reused != 1 || rep.Duplicates != 1 || rep.Deferred != 2 || rep.Verified != 1 {
		t.Errorf("reused %d duplicates %d deferred %d verified %d", rep.Reused, rep.Duplicates, rep.Deferred, rep.Verified)
	}
}
