package shared

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/internal/redistest"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// TestMemoryClaims: the contract of Claim and Unclaim, on two Memory
// values (two connection pools, as two processes would have).
func TestMemoryClaims(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m, m2 := openMemory(t, srv, 0, 0), openMemory(t, srv, 0, 0)
	raw := rawClient(t, srv, 0)
	ctx := context.Background()
	k, k2 := m.RowKey(fake.Person(1)), m.RowKey(fake.Person(2))
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	lease := 2 * time.Minute
	claim := func(name string, mem *Memory, key batch.MemoryKey, endpoint, holder string, wantOK bool) time.Time {
		t.Helper()
		ok, until, err := mem.Claim(ctx, key, endpoint, holder, now, lease)
		if err != nil || ok != wantOK || until.Before(now) || until.After(now.Add(lease)) || (ok && !until.Equal(now.Add(lease))) {
			t.Errorf("%s: Claim = %v, %v, %v; want %v and an end within the lease", name, ok, until, err, wantOK)
		}
		return until
	}
	claim("first", m, k, epCN, "A", true)
	claim("another holder", m2, k, epCN, "B", false)
	claim("another row", m2, k2, epCN, "B", true)
	claim("another endpoint", m2, k, epSim, "B", true)
	claim("renewal", m, k, epCN, "A", true)
	ckey := claimPrefix + answerID(k, epCN)
	if ttl := raw.PTTL(ctx, ckey).Val(); ttl <= 0 || ttl > lease {
		t.Errorf("claim's time to live %v, want within the lease %v", ttl, lease)
	}
	// Unclaim compares the holder.
	if err := m2.Unclaim(ctx, k, epCN, "B"); err != nil {
		t.Fatal(err)
	}
	claim("after another's Unclaim", m2, k, epCN, "B", false)
	if err := m.Unclaim(ctx, k, epCN, "A"); err != nil {
		t.Fatal(err)
	}
	claim("after the holder's Unclaim", m2, k, epCN, "B", true)
	// A crashed holder's claim expires (made to expire now, not in 2 min).
	if err := raw.PExpire(ctx, ckey, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	for raw.Exists(ctx, ckey).Val() == 1 {
		time.Sleep(time.Millisecond)
	}
	claim("after the claim expired", m, k, epCN, "A", true)
	// Record ends every claim on the row for its endpoint, whoever holds it.
	if err := m2.Record(ctx, k, batch.Remembered{Result: "0", AnsweredAt: time.Now().UTC(), Endpoint: epCN}); err != nil {
		t.Fatal(err)
	}
	if raw.Exists(ctx, ckey).Val() != 0 {
		t.Error("claim left after Record")
	}
	claim("after Record", m2, k, epCN, "C", true)
	claim("other endpoint's claim kept by Record", m, k, epSim, "D", false)
	// What Redis holds for a claim: the holder only, under the row's HMAC.
	if v := raw.Get(ctx, ckey).Val(); v != "C" {
		t.Errorf("claim holds %q, want the holder", v)
	}
	for _, bad := range []struct {
		holder string
		lease  time.Duration
	}{{"", lease}, {"E", 0}, {string(make([]byte, 65)), lease}} {
		if _, _, err := m.Claim(ctx, k2, epCN, bad.holder, now, bad.lease); err == nil {
			t.Errorf("Claim(holder %d bytes, lease %v) took no error", len(bad.holder), bad.lease)
		}
	}
	// One winner among many at once.
	k3 := m.RowKey(fake.Person(3))
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mem := m
			if i%2 == 1 {
				mem = m2
			}
			ok, _, err := mem.Claim(ctx, k3, epCN, fmt.Sprintf("holder-%d", i), now, lease)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d holders took one claim at once, want 1", won)
	}
}

// TestMemoryClaimLost: a Redis that is gone gives Claim and Unclaim an
// error naming the shared memory, so the run stops (shared-lost).
func TestMemoryClaimLost(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := openMemory(t, srv, 0, 0)
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := m.RowKey(fake.Person(1))
	if _, _, err := m.Claim(ctx, k, epCN, "A", time.Now(), time.Minute); err == nil {
		t.Error("Claim on a stopped Redis: no error")
	}
	if err := m.Unclaim(ctx, k, epCN, "A"); err == nil {
		t.Error("Unclaim on a stopped Redis: no error")
	}
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

type outcomes struct{ got []batch.Outcome }

func (s *outcomes) Write(r *batch.Result) error { s.got = append(s.got, r.Outcome); return nil }

// TestSharedMemoryRunsPayOnce: two runs at once, each with its own client
// and its own connection to one Redis memory, over lists of 200 rows with
// 100 in common (first in both, so the two runs race for each), against
// one service: each row is paid for once; the copies of the run that did
// not pay are reused.
func TestSharedMemoryRunsPayOnce(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	var mu sync.Mutex
	calls := map[string]int{}
	sim, url := fake.StartSimulator(t, simulator.Config{Inject: func(f batch.Fields, _ int) *simulator.Injection {
		mu.Lock()
		calls[f.BankCard]++
		mu.Unlock()
		return nil
	}})
	people := func(from, n int) []batch.Fields {
		out := make([]batch.Fields, n)
		for i := range out {
			out[i] = fake.Person(from + i)
		}
		return out
	}
	common := people(5000, 100)
	lists := [2][]batch.Fields{append(append([]batch.Fields(nil), common...), people(6000, 100)...), append(append([]batch.Fields(nil), common...), people(7000, 100)...)}
	var reps [2]*batch.Report
	var outs [2][]batch.Outcome
	var wg sync.WaitGroup
	for i := range lists {
		mem := openMemory(t, srv, 0, 0)
		v, err := verifier.New(verifier.Config{
			Endpoint:   url,
			Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey},
			Timeout:    5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.CloseIdleConnections)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &outcomes{}
			rep, err := batch.Run(context.Background(), &listSource{fields: lists[i]}, v, s, batch.Config{
				Workers: 8, Attempts: 1, Memory: mem, Endpoint: url, ReuseWithin: 12 * time.Hour,
			})
			if err != nil {
				t.Error(err)
				return
			}
			reps[i], outs[i] = rep, s.got
		}()
	}
	wg.Wait()
	if reps[0] == nil || reps[1] == nil {
		t.FailNow()
	}
	by := [2]map[string]batch.Outcome{{}, {}}
	for i := range lists {
		if reps[i].Aborted || len(outs[i]) != len(lists[i]) {
			t.Fatalf("run %d aborted (%q) or wrote %d rows", i, reps[i].AbortReason, len(outs[i]))
		}
		for j, f := range lists[i] {
			by[i][f.BankCard] = outs[i][j]
		}
	}
	free := 0 // -18 and -19 answers are never reused: the other run may send them again
	requests := 0
	for _, l := range lists {
		for _, f := range l {
			a, b := by[0][f.BankCard], by[1][f.BankCard]
			nonReusable := a.Result == "-18" || a.Result == "-19" || b.Result == "-18" || b.Result == "-19"
			if n := calls[f.BankCard]; n != 1 && !(nonReusable && n == 2) {
				t.Errorf("row %s: %d calls, want 1", f.BankCard, n)
			}
		}
	}
	for _, f := range common {
		a, b := by[0][f.BankCard], by[1][f.BankCard]
		if a.Result == "-18" || a.Result == "-19" {
			free++
			continue
		}
		if a.Status == batch.StatusReused {
			a, b = b, a
		}
		if a.Status != batch.StatusVerified || b.Status != batch.StatusReused || b.RequestID != a.RequestID || b.Calls != 0 {
			t.Errorf("row %s: %+v and %+v; want one verified and the other reused with its RequestId", f.BankCard, a, b)
		}
	}
	for _, n := range calls {
		requests += n
	}
	if free > 10 {
		t.Fatalf("%d common rows got -18 or -19: the test shows little", free)
	}
	if got := sim.Stats().Requests; got != 300+free || requests != got {
		t.Errorf("the service got %d requests (%d counted) for 300 distinct rows (%d common -18/-19)", got, requests, free)
	}
	if reps[0].Reused+reps[1].Reused != 100-free {
		t.Errorf("reused %d+%d, want %d", reps[0].Reused, reps[1].Reused, 100-free)
	}
	// No claim left behind, and none under a readable name.
	if keys := rawClient(t, srv, 0).Keys(context.Background(), claimPrefix+"*").Val(); len(keys) != 0 {
		t.Errorf("%d claims left after both runs: %v", len(keys), keys[:min(3, len(keys))])
	}
}
