package memory

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// hold makes the store's writer wait inside an op until the returned
// function is called, so that the ops given meanwhile queue up.
func hold(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.writes.do(context.Background(), func(*writeConn) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitQueued waits until n ops wait in the writer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.writes.ops) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d ops queued, want %d", len(s.writes.ops), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func answer(i int) batch.Remembered {
	return batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "r", AnsweredAt: t0.Add(time.Duration(i)), Endpoint: epA}
}

// Writes that arrive while one commits are committed together: 64
// records, one claim and one card count each, in far fewer transactions
// than ops, every one of them there afterwards.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	release := hold(t, s)
	before := s.writes.commits.Load()
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := s.Claim(ctx, key(i), epA, "run-a", t0, time.Minute)
			if err == nil && !ok {
				err = errors.New("claim refused")
			}
			if err == nil {
				_, err = s.ReserveCard(ctx, key(1000+i), t0, 3)
			}
			if err == nil {
				err = s.Record(ctx, key(i), answer(i))
			}
			errs <- err
		}()
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	commits := s.writes.commits.Load() - before
	if commits > 3*n/4 {
		t.Errorf("%d ops committed in %d transactions: no group commit", 3*n+1, commits)
	}
	for i := range n {
		if _, ok, err := s.Lookup(ctx, key(i), epA, time.Time{}); !ok || err != nil {
			t.Errorf("answer %d not remembered (%v)", i, err)
		}
	}
	var claims, cards int
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM cards)`).Scan(&claims, &cards); err != nil {
		t.Fatal(err)
	}
	if claims != 0 || cards != n {
		t.Errorf("%d claims (want 0: each record ends its claim) and %d card counts (want %d)", claims, cards, n)
	}
}

// An op that fails fails alone: the ops batched with it are committed,
// and what the failing op did before it failed is not.
func TestGroupCommitFailureIsOwn(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	release := hold(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 9)
	boom := errors.New("boom")
	for i := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i != 4 {
				errs[i] = s.Record(ctx, key(i), answer(i))
				return
			}
			k := key(i)
			errs[i] = s.writes.do(ctx, func(w *writeConn) error {
				if _, err := w.exec(w.record, k[:], epA, int64(1), "0", "", "yes", "r"); err != nil {
					return err
				}
				return boom
			})
		}()
		waitQueued(t, s, i+1) // in this order
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if (i == 4) != errors.Is(err, boom) {
			t.Errorf("op %d: %v", i, err)
		}
		_, ok, lerr := s.Lookup(ctx, key(i), epA, time.Time{})
		if lerr != nil || ok != (i != 4) {
			t.Errorf("answer %d remembered %v (%v)", i, ok, lerr)
		}
	}
}

// When the first op of a batch fails, it alone hears its error, and the
// ops queued behind it in the batch still run (each alone) and return.
func TestGroupCommitFirstOpFails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	release := hold(t, s)
	boom := errors.New("boom")
	const n = 4
	errs := make([]error, n)
	done := make(chan int, n)
	for i := range n {
		go func() {
			if i == 0 {
				errs[i] = s.writes.do(ctx, func(*writeConn) error { return boom })
			} else {
				errs[i] = s.Record(ctx, key(i), answer(i))
			}
			done <- i
		}()
		waitQueued(t, s, i+1) // in this order
	}
	release()
	for range n {
		select {
		case <-done:
		case <-time.After(30 * time.Second): // a guard against a hang, not a measurement
			t.Fatal("an op queued behind the failing one never returned")
		}
	}
	for i, err := range errs {
		if (i == 0) != errors.Is(err, boom) {
			t.Errorf("op %d: %v", i, err)
		}
		if i > 0 {
			if _, ok, err := s.Lookup(ctx, key(i), epA, time.Time{}); err != nil || !ok {
				t.Errorf("answer %d not remembered (%v)", i, err)
			}
		}
	}
}

// A write whose caller's context ends while it waits in the queue is
// never made, and its caller hears the context's error.
func TestWriteGivenUpIsNotMade(t *testing.T) {
	s := openTest(t, t.TempDir())
	release := hold(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Record(ctx, key(1), answer(1)) }()
	waitQueued(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Record given up: %v, want context.Canceled", err)
	}
	release()
	// The writer has passed the given-up op once a later write is done.
	if err := s.Record(context.Background(), key(2), answer(2)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Lookup(context.Background(), key(1), epA, time.Time{}); ok || err != nil {
		t.Errorf("the given-up record was made (%v)", err)
	}
}

// A closed store refuses writes, and closing it twice is harmless.
func TestWriteAfterClose(t *testing.T) {
	s := openTest(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(context.Background(), key(1), answer(1)); !errors.Is(err, errClosed) {
		t.Errorf("Record after Close: %v", err)
	}
	if _, _, err := s.Lookup(context.Background(), key(1), epA, time.Time{}); !errors.Is(err, errClosed) {
		t.Errorf("Lookup after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// The WAL is copied into the database file beside the writer, well before
// the writer's own limit (walLimit pages) would make it do so: the
// database file grows while the writer does nothing.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	db := filepath.Join(dir, "memory.db")
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	for i := range 2000 { // some hundreds of pages: far under walLimit
		if err := s.Record(context.Background(), key(i), answer(i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(40 * checkpointEvery)
	for size() == before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes %v after 2,000 answers: no checkpoint beside the writer", before, 40*checkpointEvery)
		}
		time.Sleep(checkpointEvery / 5)
	}
}

// The writer counts the pages it writes to the WAL, which checkpoints goes
// by: each commit that changes something adds its pages, and a batch of
// lookups adds none.
func TestWriterCountsFrames(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	before := s.writes.frames.Load()
	if err := s.Record(ctx, key(1), answer(1)); err != nil {
		t.Fatal(err)
	}
	one := s.writes.frames.Load() - before
	if one < 1 {
		t.Fatalf("a record wrote %d pages to the WAL, want at least 1", one)
	}
	for i := range 500 {
		if err := s.Record(ctx, key(100+i), answer(i)); err != nil {
			t.Fatal(err)
		}
	}
	many := s.writes.frames.Load() - before - one
	if many < 500 {
		t.Errorf("500 records committed one by one wrote %d pages to the WAL, want at least 500", many)
	}
	n := s.writes.frames.Load()
	if _, _, err := s.Lookup(ctx, key(1), epA, t0); err != nil {
		t.Fatal(err)
	}
	if got := s.writes.frames.Load(); got != n {
		t.Errorf("a lookup wrote %d pages to the WAL, want 0", got-n)
	}
}

// A writer that keeps writing is checkpointed once checkpointPages pages
// are in the WAL, not at every look; one that stopped, at the next look.
func TestCheckpointDue(t *testing.T) {
	for _, c := range []struct {
		n, copied, seen int64
		want            bool
	}{
		{0, 0, 0, false},                                            // nothing written
		{100, 100, 50, false},                                       // nothing new since the last checkpoint
		{200, 100, 150, false},                                      // busy, WAL small
		{100 + checkpointPages - 1, 100, 150, false},                // busy, just under the size
		{100 + checkpointPages, 100, 150, true},                     // busy, WAL full enough
		{200, 100, 200, true},                                       // idle since the last look
		{100 + 3*checkpointPages, 100, 100 + checkpointPages, true}, // far behind
	} {
		if got := checkpointDue(c.n, c.copied, c.seen); got != c.want {
			t.Errorf("checkpointDue(%d, %d, %d) = %t, want %t", c.n, c.copied, c.seen, got, c.want)
		}
	}
}

// Card counts that have left the 24-hour window are deleted, after a
// batch, once a minute of the guard's clock: the table does not grow with
// every call ever made.
func TestOldCardCountsDeleted(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, err := s.ReserveCard(ctx, key(i), t0, 3); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM cards").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 5 {
		t.Fatalf("%d card counts, want 5", n)
	}
	later := t0.Add(Window + 2*time.Minute)
	if _, err := s.ReserveCard(ctx, key(9), later, 3); err != nil {
		t.Fatal(err)
	}
	// The deletion follows the batch that saw the later time; the next
	// op of the writer comes after it.
	if _, err := s.ReserveCard(ctx, key(10), later, 3); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("%d card counts after the window passed, want the 2 new ones", n)
	}
}
