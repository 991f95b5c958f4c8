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
