package shared

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/internal/redistest"
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

// TestSharedMemoryRunsPayOnce: two runs at once, each with its own client
// and its own connection to one Redis memory, over lists of 200 rows with
// 100 in common, against one service: each row is paid for once; the
// copies of the run that did not pay are reused. No claim is left after.
func TestSharedMemoryRunsPayOnce(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	fake.CheckRunsPayOnce(t, openMemory(t, srv, 0, 0), openMemory(t, srv, 0, 0))
	if keys := rawClient(t, srv, 0).Keys(context.Background(), claimPrefix+"*").Val(); len(keys) != 0 {
		t.Errorf("%d claims left after both runs", len(keys))
	}
}

// TestMemoryClaimContract: the contract check every batch.Memory passes.
func TestMemoryClaimContract(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	fake.CheckClaims(t, openMemory(t, srv, 0, 0), time.Now())
}
