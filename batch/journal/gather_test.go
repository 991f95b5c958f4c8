package journal

import (
	"os"
	"sync"
	"testing"
)

// gatherJournal opens a fresh journal whose syncs are counted and whose
// flusher's yields run yield instead of runtime.Gosched.
func gatherJournal(t *testing.T, yield func(j *Journal)) (*Journal, *int) {
	t.Helper()
	var j *Journal
	syncs := new(int) // read and written under j.mu's hand-offs: the flusher alone syncs
	c := fastConfig()
	c.sync = func(*os.File) error { *syncs++; return nil }
	c.yield = func() { yield(j) }
	j, _, err := open(tempPath(t), testMeta(), true, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	*syncs = 0 // the header's
	return j, syncs
}

// TestGatherJoinsAppenders: a caller that appends while the flusher
// yields goes out in the flusher's sync, not in a sync of its own after
// it.
func TestGatherJoinsAppenders(t *testing.T) {
	var wg sync.WaitGroup
	yields := 0
	j, syncs := gatherJournal(t, func(j *Journal) {
		yields++
		if yields > 1 {
			return
		}
		// Another worker, woken with the first, appends its attempt now.
		wg.Go(func() {
			if err := j.Attempt(2, 1); err != nil {
				t.Error(err)
			}
		})
		for appendedWait(j) < 2 {
			// The other caller appends, then waits for the flush in
			// progress; it never flushes itself.
		}
	})
	if err := j.Attempt(1, 1); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if *syncs != 1 {
		t.Errorf("%d syncs for two attempts appended while the first gathered, want 1", *syncs)
	}
	if yields != 2 {
		t.Errorf("flusher yielded %d times, want 2 (once for the other caller, once to find none more)", yields)
	}
}

// TestGatherAlone: a caller alone yields once, finds no other record, and
// syncs its own.
func TestGatherAlone(t *testing.T) {
	yields := 0
	j, syncs := gatherJournal(t, func(*Journal) { yields++ })
	for row := range 3 {
		if err := j.Attempt(row, 1); err != nil {
			t.Fatal(err)
		}
		if yields != row+1 || *syncs != row+1 {
			t.Fatalf("after attempt %d: %d yields and %d syncs, want %d each", row+1, yields, *syncs, row+1)
		}
	}
}

// TestGatherBounded: appenders that never stop coming do not hold the
// flusher past gatherRounds yields.
func TestGatherBounded(t *testing.T) {
	yields := 0
	j, syncs := gatherJournal(t, func(j *Journal) {
		yields++
		if err := j.Answered(100+yields, 1); err != nil { // not durable: returns at once
			t.Error(err)
		}
	})
	if err := j.Final(1, charged); err != nil {
		t.Fatal(err)
	}
	if yields != gatherRounds || *syncs != 1 {
		t.Errorf("%d yields and %d syncs, want %d and 1", yields, *syncs, gatherRounds)
	}
}

// appendedWait is the records appended so far, waiting for j.mu.
func appendedWait(j *Journal) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appended
}
