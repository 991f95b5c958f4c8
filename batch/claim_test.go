package batch_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// callCounter counts the simulator's requests by bank card (every test
// person has their own card).
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) inject(f batch.Fields, _ int) *simulator.Injection {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[f.BankCard]++
	c.mu.Unlock()
	return nil
}

func (c *callCounter) calls(f batch.Fields) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[f.BankCard]
}

// fastPoll shortens the wait for a row another run holds, so tests with
// much contention stay quick.
func fastPoll(t *testing.T) {
	t.Helper()
	t.Cleanup(batch.SetClaimPoll(time.Millisecond, 5*time.Millisecond))
}

// runAsync runs a list in a goroutine; the result arrives on the channel.
type runResult struct {
	rep *batch.Report
	out []batch.Outcome
	err error
}

func runAsync(ctx context.Context, v batch.Verifier, cfg batch.Config, fields []batch.Fields) <-chan runResult {
	ch := make(chan runResult, 1)
	go func() {
		s := &sink{}
		rep, err := batch.Run(ctx, &listSource{fields: fields}, v, s, cfg)
		ch <- runResult{rep, s.got, err}
	}()
	return ch
}

// TestConcurrentRunsPayOnce: two runs at once over lists of 200 rows with
// 100 in common, each with its own client but one memory, against one
// service: every row is paid for once, and the copy of the run that did
// not pay is reused with the other's RequestId.
func TestConcurrentRunsPayOnce(t *testing.T) {
	fastPoll(t)
	common, ownA, ownB := people(5000, 100), people(6000, 100), people(7000, 100)
	for _, tc := range []struct {
		name string
		a, b []batch.Fields
	}{
		{"common rows first in both", cat(common, ownA), cat(common, ownB)},
		{"common rows last in one", cat(ownA, common), cat(common, ownB)},
		{"common rows in opposite orders", cat(common, ownA), cat(ownB, reversed(common))},
	} {
		for _, kind := range []string{"Lookup and Claim", "LookupOrClaim", "LookupOrClaimCard"} {
			t.Run(tc.name+", "+kind, func(t *testing.T) {
				calls := &callCounter{}
				sim, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
				mem := fake.NewMemory()
				var m batch.Memory = mem
				perCard := 0
				switch kind {
				case "LookupOrClaim":
					m = fake.LookupClaimer{Memory: mem}
				case "LookupOrClaimCard":
					m, perCard = fake.CardClaimer{LookupClaimer: fake.LookupClaimer{Memory: mem}}, 3
				}
				checkPayOnce(t, m, sim, url, calls, common, tc.a, tc.b, perCard)
				// Each way is taken as offered: with LookupOrClaim a
				// row costs one call of it before it is sent or reused,
				// and no Lookup; with LookupOrClaimCard that call also
				// counts the card, and ReserveCard is never called.
				// (checkPayOnce makes Claims of its own.)
				rows := len(tc.a) + len(tc.b)
				lc, lcc, l, rc := mem.Ops("lookup or claim"), mem.Ops("lookup or claim card"), mem.Ops("lookup"), mem.Ops("reserve")
				var ok bool
				switch kind {
				case "LookupOrClaim":
					ok = lc >= rows && lcc == 0 && l == 0
				case "LookupOrClaimCard":
					ok = lcc >= rows && lc == 0 && l == 0 && rc == 0
				default:
					ok = lc == 0 && lcc == 0 && l >= rows
				}
				if !ok {
					t.Errorf("%d LookupOrClaim, %d LookupOrClaimCard, %d Lookup and %d ReserveCard calls for %d rows", lc, lcc, l, rc, rows)
				}
			})
		}
	}
}

// checkPayOnce runs lists a and b at once against mem and the simulator
// at url (whose requests calls counts) and checks that no row was paid
// twice and common's rows were reused by one of the two runs.
func checkPayOnce(t *testing.T, mem batch.Memory, sim *simulator.Simulator, url string, calls *callCounter, common, a, b []batch.Fields, perCard int) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	cfg := memCfg(mem, url, clk)
	cfg.MaxPerCard = perCard
	chA := runAsync(ctx, client(t, url), cfg, a)
	chB := runAsync(ctx, client(t, url), cfg, b)
	ra, rb := <-chA, <-chB
	for _, r := range []runResult{ra, rb} {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.rep.Aborted || len(r.out) != 200 {
			t.Fatalf("run aborted (%q) or wrote %d rows", r.rep.AbortReason, len(r.out))
		}
	}
	distinct := map[string]bool{}
	for _, f := range cat(a, b) {
		distinct[f.BankCard] = true
	}
	byCard := func(list []batch.Fields, out []batch.Outcome) map[string]batch.Outcome {
		m := map[string]batch.Outcome{}
		for i, f := range list {
			m[f.BankCard] = out[i]
		}
		return m
	}
	oa, ob := byCard(a, ra.out), byCard(b, rb.out)
	// -18 and -19 answers are free and never reused (SPEC section 11):
	// the other run sends such a row again once the first has let it go.
	free := map[string]bool{}
	for _, o := range append(append([]batch.Outcome(nil), ra.out...), rb.out...) {
		if notReusable(o) && o.Status == batch.StatusVerified {
			if o.Charged != batch.ChargedNo {
				t.Errorf("a %s answer charged %q", o.Result, o.Charged)
			}
		}
	}
	for _, f := range common {
		if notReusable(oa[f.BankCard]) || notReusable(ob[f.BankCard]) {
			free[f.BankCard] = true
		}
	}
	if len(free) > len(common)/10 {
		t.Fatalf("%d of %d common rows got -18 or -19: the test shows little", len(free), len(common))
	}
	for _, f := range cat(a, b) {
		if n := calls.calls(f); n != 1 && !(free[f.BankCard] && n == 2) {
			t.Errorf("row %s: %d calls, want 1", f.BankCard, n)
		}
	}
	reused := 0
	for _, f := range common {
		x, y := oa[f.BankCard], ob[f.BankCard]
		if free[f.BankCard] {
			if x.Status != batch.StatusVerified || y.Status != batch.StatusVerified || x.Calls+y.Calls != 2 {
				t.Errorf("row %s (%s): outcomes %+v and %+v; want both verified by one call each", f.BankCard, x.Result, x, y)
			}
			continue
		}
		if x.Status == batch.StatusReused {
			x, y = y, x
		}
		if x.Status != batch.StatusVerified || y.Status != batch.StatusReused || x.RequestID == "" || y.RequestID != x.RequestID || y.Calls != 0 {
			t.Errorf("row %s: outcomes %+v and %+v; want one verified and the other reused with its RequestId and no call", f.BankCard, x, y)
		}
		if y.Status == batch.StatusReused {
			reused++
		}
	}
	want := len(distinct) + len(free)
	if got := sim.Stats().Requests; got != want || ra.rep.Calls+rb.rep.Calls != want {
		t.Errorf("the service got %d requests, the reports count %d+%d calls, for %d distinct rows (%d common -18/-19); want %d", got, ra.rep.Calls, rb.rep.Calls, len(distinct), len(free), want)
	}
	if ra.rep.Reused+rb.rep.Reused != reused || reused != len(common)-len(free) {
		t.Errorf("reports: reused %d+%d; want %d", ra.rep.Reused, rb.rep.Reused, len(common)-len(free))
	}
	// Every claim was ended by its Record: a third run can claim any row.
	for _, f := range common {
		k := mem.RowKey(f)
		if ok, _, err := mem.Claim(ctx, k, url, "third run", clk.Now(), time.Minute); err != nil || !ok {
			t.Errorf("row %s is still claimed after both runs (%v)", f.BankCard, err)
			break
		}
	}
}

func cat(lists ...[]batch.Fields) []batch.Fields {
	var out []batch.Fields
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func reversed(l []batch.Fields) []batch.Fields {
	out := make([]batch.Fields, len(l))
	for i, f := range l {
		out[len(l)-1-i] = f
	}
	return out
}

// waitFor polls cond until it holds: what it waits for comes within
// milliseconds; a minute without it is a failure, not slowness.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	give := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(give) {
			t.Fatalf("gave up waiting a minute for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCrashedClaimExpires: a row claimed by a run that crashed is not
// sent while the claim lasts; once it expires (the injected clock reaches
// its end) the run claims it and sends it, once.
func TestCrashedClaimExpires(t *testing.T) {
	fastPoll(t)
	calls := &callCounter{}
	sim, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	list := people(8000, 3)
	held := list[1]
	lease := 2 * time.Minute
	if ok, _, err := mem.Claim(context.Background(), mem.RowKey(held), url, "crashed run", t0, lease); err != nil || !ok {
		t.Fatal(ok, err)
	}
	ch := runAsync(context.Background(), client(t, url), memCfg(mem, url, clk), list)
	// The run keeps finding the claim held.
	waitFor(t, "the claim to be refused twice", func() bool { return mem.Ops("claim refused") >= 2 })
	waitFor(t, "the other rows to be sent", func() bool { return calls.calls(list[0]) == 1 && calls.calls(list[2]) == 1 })
	if n := calls.calls(held); n != 0 {
		t.Fatalf("the claimed row was sent %d times while another run held it", n)
	}
	clk.Set(t0.Add(lease - time.Nanosecond))
	refused := mem.Ops("claim refused")
	waitFor(t, "a claim refused just before the end", func() bool { return mem.Ops("claim refused") > refused+1 })
	if n := calls.calls(held); n != 0 {
		t.Fatalf("the claimed row was sent %d times before its claim ended", n)
	}
	clk.Set(t0.Add(lease))
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	if o := r.out[1]; o.Status != batch.StatusVerified || o.Calls != 1 || calls.calls(held) != 1 {
		t.Errorf("row held by the crashed run: %+v, %d calls; want verified by one call after the claim expired", o, calls.calls(held))
	}
	if sim.Stats().Requests != 3 || mem.Claims() != 0 {
		t.Errorf("%d requests, %d claims left; want 3 and none", sim.Stats().Requests, mem.Claims())
	}
}

// TestClaimWaitAnsweredByOther: while a row is held by another run, the
// run waits for it; when the other run records the answer, the row is
// reused without a call.
func TestClaimWaitAnsweredByOther(t *testing.T) {
	fastPoll(t)
	calls := &callCounter{}
	_, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	list := people(8100, 2)
	k := mem.RowKey(list[0])
	ctx := context.Background()
	if ok, _, err := mem.Claim(ctx, k, url, "other run", t0, time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	ch := runAsync(ctx, client(t, url), memCfg(mem, url, clk), list)
	waitFor(t, "the claim to be refused", func() bool { return mem.Ops("claim refused") >= 1 })
	if err := mem.Record(ctx, k, batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "other-req", AnsweredAt: t0, Endpoint: url}); err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	if o := r.out[0]; o.Status != batch.StatusReused || o.RequestID != "other-req" || calls.calls(list[0]) != 0 {
		t.Errorf("row answered by the other run: %+v, %d calls; want reused with its RequestId and no call", o, calls.calls(list[0]))
	}
	if r.out[1].Status != batch.StatusVerified {
		t.Errorf("the free row: %+v", r.out[1])
	}
}

// TestClaimWaitStops: a run stopped while it waits for another run's
// claim leaves the row not attempted and the other's claim in place.
func TestClaimWaitStops(t *testing.T) {
	fastPoll(t)
	calls := &callCounter{}
	_, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	list := people(8200, 1)
	k := mem.RowKey(list[0])
	bg := context.Background()
	if ok, _, err := mem.Claim(bg, k, url, "other run", t0, time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	ch := runAsync(ctx, client(t, url), memCfg(mem, url, clk), list)
	waitFor(t, "the claim to be refused", func() bool { return mem.Ops("claim refused") >= 1 })
	cancel()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.rep.Interrupted || r.out[0].Status != batch.StatusNotAttempted || calls.calls(list[0]) != 0 {
		t.Errorf("interrupted %v, row %+v, %d calls; want an interrupted run, the row not attempted, no call", r.rep.Interrupted, r.out[0], calls.calls(list[0]))
	}
	if ok, _, _ := mem.Claim(bg, k, url, "third run", t0, time.Minute); ok {
		t.Error("the other run's claim was ended by the stopped run")
	}
}

// TestNoClaimWithoutReuse: with ReuseWithin 0 every row is paid for, as
// asked: nothing is claimed, and a row another run holds is sent anyway.
func TestNoClaimWithoutReuse(t *testing.T) {
	calls := &callCounter{}
	sim, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	list := people(8300, 20)
	if ok, _, err := mem.Claim(context.Background(), mem.RowKey(list[3]), url, "other run", t0, time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	claims := mem.Ops("claim")
	cfg := memCfg(mem, url, &clock{t: t0})
	cfg.ReuseWithin = 0
	rep, _ := run(t, client(t, url), cfg, list)
	if got := mem.Ops("claim") - claims; got != 0 || mem.Ops("unclaim") != 0 {
		t.Errorf("%d claims, %d unclaims with ReuseWithin 0; want none", got, mem.Ops("unclaim"))
	}
	if rep.Verified != 20 || sim.Stats().Requests != 20 || calls.calls(list[3]) != 1 {
		t.Errorf("verified %d, requests %d, held row sent %d times; want 20, 20, 1", rep.Verified, sim.Stats().Requests, calls.calls(list[3]))
	}
}

// TestClaimEndsWithoutAnswer: a row that ends without an answer to record
// (-18 after its attempts, a row error, deferred by the card guard) is
// unclaimed, each attempt renews the claim, and a recorded row's claim is
// ended by Record.
func TestClaimEndsWithoutAnswer(t *testing.T) {
	list := people(8400, 6)
	busy, rowErr, throttledOnce := list[0].BankCard, list[1].BankCard, list[2].BankCard
	var mu sync.Mutex
	seen := map[string]int{}
	_, url := fake.StartSimulator(t, simulator.Config{Inject: func(f batch.Fields, _ int) *simulator.Injection {
		mu.Lock()
		defer mu.Unlock()
		seen[f.BankCard]++
		switch {
		case f.BankCard == busy:
			return &simulator.Injection{Result: "-18"}
		case f.BankCard == rowErr:
			return &simulator.Injection{Error: "InvalidParameterValue"}
		case f.BankCard == throttledOnce && seen[f.BankCard] == 1:
			return &simulator.Injection{Error: "RequestLimitExceeded"}
		}
		return nil
	}})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	cfg := memCfg(mem, url, clk)
	cfg.Attempts = 3
	cfg.MaxPerCard = 3
	// The last row's card has used its three calls of the day: deferred.
	for range 3 {
		if r, err := mem.ReserveCard(context.Background(), mem.CardKey(list[5].BankCard), t0.Add(-time.Hour), 3); err != nil || !r.OK {
			t.Fatal(r, err)
		}
	}
	_, out := run(t, client(t, url), cfg, list)
	wantStatus := []batch.Status{batch.StatusVerified, batch.StatusError, batch.StatusVerified, batch.StatusVerified, batch.StatusVerified, batch.StatusDeferred}
	for i, o := range out {
		if o.Status != wantStatus[i] {
			t.Errorf("row %d: %+v, want %s", i, o, wantStatus[i])
		}
	}
	if out[0].Result != "-18" || out[0].Calls != 3 || out[2].Calls != 2 {
		t.Errorf("busy row %+v (want -18 after 3 calls), throttled row %+v (want 2 calls)", out[0], out[2])
	}
	// One claim per attempt: 3 (busy) + 1 (row error) + 2 (throttled once)
	// + 1 + 1 + 1 (deferred).
	if got := mem.Ops("claim"); got != 9 {
		t.Errorf("%d claims, want 9: one before every attempt", got)
	}
	if got := mem.Ops("unclaim"); got != 3 {
		t.Errorf("%d unclaims, want 3 (busy, row error, deferred)", got)
	}
	if mem.Claims() != 0 {
		t.Errorf("%d claims left after the run", mem.Claims())
	}
}

// TestClaimMemoryLost: a memory that fails to claim or unclaim stops the
// run like an abort (shared-lost), sending nothing more.
func TestClaimMemoryLost(t *testing.T) {
	for _, op := range []string{"claim", "unclaim"} {
		t.Run(op, func(t *testing.T) {
			calls := &callCounter{}
			sim, url := fake.StartSimulator(t, simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
				calls.inject(f, n)
				return &simulator.Injection{Result: "-18"} // never recorded: every row is unclaimed
			}})
			mem := fake.NewMemory()
			var mu sync.Mutex
			ok := 0
			mem.Fail = func(o string) error {
				mu.Lock()
				defer mu.Unlock()
				if o == op {
					if ok++; ok > 5 {
						return errors.New("database is locked")
					}
				}
				return nil
			}
			cfg := memCfg(mem, url, &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
			rep, _ := run(t, client(t, url), cfg, people(8500, 100))
			if !rep.Aborted || rep.AbortCode != batch.AbortSharedLost || !strings.Contains(rep.AbortReason, "database is locked") {
				t.Errorf("aborted %v code %q reason %q", rep.Aborted, rep.AbortCode, rep.AbortReason)
			}
			if sent := sim.Stats().Requests; sent > 5+cfg.Workers || rep.NotAttempted == 0 {
				t.Errorf("%d calls sent, %d rows not attempted, after the memory failed", sent, rep.NotAttempted)
			}
		})
	}
}

// TestResumeTakesOwnClaims: a rerun of the same job (the same ClaimHolder,
// as the journal's ID gives it) takes back the claims its killed
// predecessor left at once, with the clock frozen before their end: it
// does not wait out their lease.
func TestResumeTakesOwnClaims(t *testing.T) {
	fastPoll(t)
	calls := &callCounter{}
	_, url := fake.StartSimulator(t, simulator.Config{Inject: calls.inject})
	mem := fake.NewMemory()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	list := people(8200, 3)
	held := list[1]
	if ok, _, err := mem.Claim(context.Background(), mem.RowKey(held), url, "job-1", t0, time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	cfg := memCfg(mem, url, &clock{t: t0})
	cfg.ClaimHolder = "job-1"
	// Were the claim another run's, the run would wait for its end, an
	// hour away on the frozen clock: stop it well before.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := <-runAsync(ctx, client(t, url), cfg, list)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if o := r.out[1]; o.Status != batch.StatusVerified || calls.calls(held) != 1 {
		t.Errorf("row its own killed run had claimed: %+v, %d calls; want verified by one call, without waiting", o, calls.calls(held))
	}
	if n := mem.Ops("claim refused"); n != 0 {
		t.Errorf("%d claims refused: the rerun waited on its own claim", n)
	}
}
