package journal

import (
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// TestConcurrent: 200 goroutines × 50 rows, each an Attempt then a Final,
// on real fsyncs: every final is replayed, and group commit shares syncs.
func TestConcurrent(t *testing.T) {
	const workers, perWorker = 200, 50
	path := tempPath(t)
	var syncs atomic.Int64
	c := config{now: time.Now, sync: func(f *os.File) error {
		syncs.Add(1)
		time.Sleep(200 * time.Microsecond) // a disk that takes its time
		return datasync(f)
	}}
	j, _, err := open(path, testMeta(), false, c)
	if err != nil {
		t.Fatal(err)
	}
	syncs.Store(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				row := w*perWorker + i
				if err := j.Attempt(row, 1); err != nil {
					t.Error(err)
					return
				}
				o := batch.Outcome{Status: batch.StatusVerified, Result: "0", Charged: batch.ChargedYes, Calls: 1, RequestID: "r"}
				if err := j.Final(row, o); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	const durable = workers * perWorker * 2
	if n := syncs.Load(); n > durable/10 {
		t.Errorf("%d syncs for %d durable records: no group commit", n, durable)
	} else {
		t.Logf("%d syncs for %d durable records", n, durable)
	}
	st := reopen(t, path)
	if len(st.Final) != workers*perWorker || len(st.Carry) != 0 || st.Damaged != 0 {
		t.Errorf("replayed %d finals, %d carried, %d damaged; want %d, 0, 0", len(st.Final), len(st.Carry), st.Damaged, workers*perWorker)
	}
	for row := range workers * perWorker {
		if o := st.Final[row]; o.Calls != 1 || o.Status != batch.StatusVerified {
			t.Fatalf("row %d: %+v", row, o)
		}
	}
}

// TestGroupCommit holds the first sync until every other caller has queued
// its record, proving appenders are not blocked by a sync in progress; the
// 99 queued records must then share one sync. The first caller starts
// alone and is in its sync before the others start, so that its gather
// (which would take in whoever appends meanwhile) finds nobody.
func TestGroupCommit(t *testing.T) {
	const callers = 100
	j, _, err := open(tempPath(t), testMeta(), false, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	var syncs atomic.Int64
	syncing, release := make(chan struct{}), make(chan struct{})
	j.sync = func(*os.File) error {
		if syncs.Add(1) == 1 {
			close(syncing)
			<-release
		}
		return nil
	}
	var wg sync.WaitGroup
	attempt := func(row int) {
		wg.Go(func() {
			if err := j.Attempt(row, 1); err != nil {
				t.Error(err)
			}
		})
	}
	attempt(0)
	<-syncing
	for row := 1; row < callers; row++ {
		attempt(row)
	}
	deadline := time.Now().Add(10 * time.Second) // a guard against a hang, not a measurement
	for appended(j) < callers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := appended(j); n < callers {
		t.Errorf("only %d of %d records queued while a sync ran: appenders blocked by the sync", n, callers)
	}
	close(release)
	wg.Wait()
	if n := syncs.Load(); n != 2 {
		t.Errorf("%d syncs for %d concurrent attempts, want 2 (the first, then one for all queued)", n, callers)
	}
	j.Close()
}

// appended counts the records queued so far; 0 while j.mu is held (it
// must not block, or a lock held during the sync would hang the test).
func appended(j *Journal) uint64 {
	if !j.mu.TryLock() {
		return 0
	}
	defer j.mu.Unlock()
	return j.appended
}

// TestCloseWhilePending: calls racing with Close either fail with
// ErrClosed or are on disk; none is lost.
func TestCloseWhilePending(t *testing.T) {
	path := tempPath(t)
	j, _, err := open(path, testMeta(), false, config{now: time.Now, sync: func(*os.File) error {
		time.Sleep(50 * time.Microsecond)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	const callers = 50
	acked := make([]int, callers)
	var started, wg sync.WaitGroup
	started.Add(callers)
	for row := range callers {
		wg.Go(func() {
			started.Done()
			for n := 1; ; n++ {
				err := j.Attempt(row, n)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				acked[row]++
				if err := j.Answered(row, n); errors.Is(err, ErrClosed) {
					return
				}
			}
		})
	}
	started.Wait()
	time.Sleep(5 * time.Millisecond) // let some calls through; not a measurement
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	st := reopen(t, path)
	for row, n := range acked {
		c := st.Carry[row]
		if c.Calls != n || c.Lost > 1 {
			t.Errorf("row %d: %d attempts acknowledged, journal has %+v (at most the last lost)", row, n, c)
		}
	}
}

// TestDurableBeforeReturn: Attempt and Final return only after their
// record was written and synced; Answered waits for the next sync.
func TestDurableBeforeReturn(t *testing.T) {
	path := tempPath(t)
	j, _, err := open(path, testMeta(), false, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	synced := 0 // bytes of the file at the last sync
	j.sync = func(f *os.File) error {
		fi, err := f.Stat()
		synced = int(fi.Size())
		return err
	}
	onDisk := func(line string) bool {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(b), "\n"+line)
		return i >= 0 && i < synced
	}
	steps := []struct {
		call func() error
		line string
		want bool
	}{
		{func() error { return j.Attempt(5, 1) }, "A 5 1 ", true},
		{func() error { return j.Answered(5, 1) }, "N 5 1 ", false},
		{func() error { return j.Final(5, charged) }, "F 5 {", true},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatal(err)
		}
		if got := onDisk(s.line); got != s.want {
			t.Errorf("after the call, %q synced = %v, want %v", s.line, got, s.want)
		}
	}
	if !onDisk("N 5 1 ") {
		t.Error("Answered record not written with the next durable record")
	}
}

// TestSyncError: a failed sync fails the callers waiting on it and every
// later call.
func TestSyncError(t *testing.T) {
	j, _, err := open(tempPath(t), testMeta(), false, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	j.sync = func(*os.File) error { return boom }
	if err := j.Attempt(0, 1); !errors.Is(err, boom) {
		t.Errorf("Attempt = %v, want the sync error", err)
	}
	j.sync = func(*os.File) error { return nil }
	if err := j.Final(0, charged); !errors.Is(err, boom) {
		t.Errorf("Final after a failed sync = %v, want the sync error", err)
	}
	j.Close()
}

// BenchmarkJournalAttemptFinal: many callers, each row an Attempt and a
// Final, on real fsyncs in the test's temporary directory.
func BenchmarkJournalAttemptFinal(b *testing.B) {
	j, _, err := Open(tempPath(b), testMeta(), false)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	o := batch.Outcome{Status: batch.StatusVerified, Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: "0f3c1a7e-5b2d-4c1e-9a8b-1d2e3f4a5b6c", Calls: 1}
	var next atomic.Int64
	b.SetParallelism(100)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			row := int(next.Add(1))
			if err := j.Attempt(row, 1); err != nil {
				b.Error(err)
				return
			}
			if err := j.Final(row, o); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}
