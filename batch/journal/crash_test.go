package journal

import (
	"os"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// TestTornTail cuts the journal at every byte of its last records, as a
// crash mid-write leaves it: Open must replay exactly the complete records,
// cut the torn end away, and append after it.
func TestTornTail(t *testing.T) {
	ops := []op{
		attempt(0, 1), final(0, charged),
		attempt(1, 1), answered(1, 1), attempt(1, 2),
		attempt(2, 1), final(2, rowErr2),
		attempt(3, 1), answered(3, 1),
		attempt(1, 3), final(1, free2),
		attempt(4, 1), final(4, batch.Outcome{Status: batch.StatusVerified, Result: "-7", Charged: batch.ChargedYes, RequestID: "d4", Calls: 1}),
		attempt(2, 3),
	}
	dir := t.TempDir()
	full := dir + "/full.journal"
	j, _, err := open(full, testMeta(), true, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	// ends[k] is the file size after k ops.
	ends := []int64{size(t, full)}
	for _, o := range ops {
		apply(t, j, o)
		if err := durable(j); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, size(t, full))
	}
	j.Close()
	content, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}

	// The state after each prefix of complete records.
	prefix := dir + "/prefix.journal"
	want := make([]*State, len(ends))
	for k, end := range ends {
		write(t, prefix, content[:end])
		want[k] = reopen(t, prefix)
	}
	if len(want[len(ops)].Final) != 3 || want[len(ops)].Carry[2] != (Counts{Calls: 3, Lost: 1}) {
		t.Fatalf("full journal replays %+v", want[len(ops)])
	}

	const lastOps = 6
	torn := dir + "/torn.journal"
	for cut := ends[len(ops)-lastOps]; cut <= ends[len(ops)]; cut++ {
		k := 0
		for k+1 < len(ends) && ends[k+1] <= cut {
			k++
		}
		write(t, torn, content[:cut])
		j, st, err := open(torn, testMeta(), false, fastConfig())
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		w := *want[k]
		if cut > ends[k] {
			w.Damaged = 1
		}
		if d := diffState(&w, st); d != "" {
			t.Fatalf("cut at %d (after %d ops), state (-want +got):\n%s", cut, k, d)
		}
		if err := j.Attempt(99, 1); err != nil {
			t.Fatal(err)
		}
		j.Close()

		got := reopen(t, torn)
		w.Damaged = 0
		w.Runs++ // the run that appended
		w.Carry = copyMap(w.Carry)
		w.Carry[99] = Counts{Calls: 1, Lost: 1}
		if d := diffState(&w, got); d != "" {
			t.Fatalf("cut at %d, after appending (-want +got):\n%s", cut, d)
		}
	}
}

// TestDamagedLine: a line that fails its checksum in the middle (written
// but never synced before a crash) is skipped; the records after it count.
func TestDamagedLine(t *testing.T) {
	path := tempPath(t)
	script(t, path, []op{attempt(0, 1), final(0, charged), attempt(1, 1)})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(replaceOnce(string(b), "F 0 {", "F 0 ["))
	write(t, path, b)
	st := reopen(t, path)
	if _, ok := st.Final[0]; ok || st.Damaged != 1 || st.Carry[1] != (Counts{Calls: 1, Lost: 1}) || st.Carry[0] != (Counts{Calls: 1, Lost: 1}) {
		t.Errorf("state %+v: want row 0 not final, one damaged line, rows 0 and 1 lost once", st)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(len(b))); err != nil {
		t.Fatal(err)
	}
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// durable returns once every record appended so far is on disk.
func durable(j *Journal) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.waitDurable(j.appended)
}
