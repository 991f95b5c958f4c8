package memory_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/memory"
)

func open(t *testing.T, dir string) *memory.Store {
	t.Helper()
	db := filepath.Join(dir, "memory.db")
	s, err := memory.Open(db, memory.DefaultKeyPath(db), memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The SQLite store keeps the claim contract of batch.Memory.
func TestClaimContract(t *testing.T) {
	fake.CheckClaims(t, open(t, t.TempDir()), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

// Two stores on one database file, as two processes have, let two runs of
// overlapping lists at once pay for each row once.
func TestClaimRunsPayOnce(t *testing.T) {
	dir := t.TempDir()
	fake.CheckRunsPayOnce(t, open(t, dir), open(t, dir))
}

// A claim ends by its lease, judged by the run's clock: another holder is
// refused until then and takes it from then on.
func TestClaimExpiry(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	k := s.RowKey(fake.Person(1))
	const ep = "https://faceid.tencentcloudapi.com:443"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if ok, _, err := s.Claim(ctx, k, ep, "run-a", t0, time.Minute); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	ok, held, err := s.Claim(ctx, k, ep, "run-b", t0.Add(time.Minute-time.Nanosecond), time.Minute)
	if ok || err != nil || !held.Equal(t0.Add(time.Minute)) {
		t.Errorf("claim of another holder before the end: ok %v held until %v (%v), want refused until %v", ok, held, err, t0.Add(time.Minute))
	}
	if ok, _, err := s.Claim(ctx, k, ep, "run-b", t0.Add(time.Minute), time.Minute); !ok || err != nil {
		t.Errorf("claim of another holder at the end: %v %v, want taken", ok, err)
	}
	// A pruned memory keeps no claim that ended before the prune time.
	if _, err := s.Prune(ctx, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Claim(ctx, k, ep, "run-c", t0.Add(time.Minute), time.Minute); !ok || err != nil {
		t.Errorf("claim after a prune: %v %v, want taken", ok, err)
	}
	var _ batch.Memory = s
}

// LookupOrClaim reuses an answer reuse accepts without claiming, and
// otherwise claims as Claim does, refusing while another run holds the row.
func TestLookupOrClaim(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	const ep = "https://faceid.tencentcloudapi.com:443"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	k := s.RowKey(fake.Person(1))
	yes := func(batch.Remembered) bool { return true }
	no := func(batch.Remembered) bool { return false }
	loc := func(key batch.MemoryKey, reuse func(batch.Remembered) bool, holder string, now time.Time) (batch.Remembered, bool, bool, time.Time) {
		t.Helper()
		r, found, claimed, held, err := s.LookupOrClaim(ctx, key, ep, t0.Add(-time.Hour), reuse, holder, now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return r, found, claimed, held
	}
	if _, found, claimed, held := loc(k, yes, "run-a", t0); found || !claimed || !held.Equal(t0.Add(time.Minute)) {
		t.Fatalf("unanswered row: found %v claimed %v until %v, want claimed until %v", found, claimed, held, t0.Add(time.Minute))
	}
	if _, found, claimed, held := loc(k, yes, "run-b", t0.Add(time.Second)); found || claimed || !held.Equal(t0.Add(time.Minute)) {
		t.Errorf("row run-a holds: found %v claimed %v until %v, want refused until %v", found, claimed, held, t0.Add(time.Minute))
	}
	if err := s.Record(ctx, k, batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "r1", AnsweredAt: t0, Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	if r, found, claimed, _ := loc(k, yes, "run-b", t0.Add(time.Second)); !found || claimed || r.RequestID != "r1" {
		t.Errorf("answered row: %+v found %v claimed %v, want the answer and no claim", r, found, claimed)
	}
	if ok, _, err := s.Claim(ctx, k, ep, "run-c", t0.Add(time.Second), time.Minute); !ok || err != nil {
		t.Errorf("the reused row was claimed by LookupOrClaim (%v, %v)", ok, err)
	}
	if _, found, claimed, _ := loc(k, no, "run-c", t0.Add(2*time.Second)); found || !claimed {
		t.Errorf("row whose answer reuse refuses: found %v claimed %v, want claimed", found, claimed)
	}
	if _, _, _, _, err := s.LookupOrClaim(ctx, k, ep, t0, yes, "", t0, time.Minute); err == nil {
		t.Error("LookupOrClaim without a holder succeeded")
	}
}

// LookupOrClaimCard keeps the contract of batch.CardClaimer.
func TestLookupOrClaimCard(t *testing.T) {
	fake.CheckCardClaims(t, open(t, t.TempDir()), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}
