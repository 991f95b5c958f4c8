package journal

import (
	"errors"
	"fmt"
	"os"
	"strings"
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

// TestDamagedLine: a line anywhere but a torn last one that fails its
// check refuses the resume with a *DamagedError naming its line and what
// --fresh would pay again; the journal is left as it was.
func TestDamagedLine(t *testing.T) {
	const rows = 300
	var ops []op
	for i := range rows {
		ops = append(ops, attempt(i, 1))
		switch i % 3 {
		case 0:
			ops = append(ops, final(i, charged))
		case 1:
			ops = append(ops, final(i, free2))
		}
	}
	ops = append(ops, rerun(), attempt(rows, 1), attempt(rows+1, 1))
	dir := t.TempDir()
	orig := dir + "/orig.journal"
	script(t, orig, ops)
	content, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(content), "\n")
	lines = lines[:len(lines)-1] // after the last "\n"
	if len(content) < 3*4096 {
		t.Fatalf("journal is %d bytes: too short for the zeroed-block case", len(content))
	}
	// lineAt is the 1-based line holding byte offset off.
	lineAt := func(off int) int { return strings.Count(string(content[:off]), "\n") + 1 }

	// A line of another journal with the same meta and the same records.
	other := dir + "/other.journal"
	script(t, other, ops)
	otherContent, _ := os.ReadFile(other)
	otherLines := strings.SplitAfter(string(otherContent), "\n")

	type damage struct {
		name   string
		mangle func() []byte
		line   int
	}
	var cases []damage
	for _, ln := range []int{2, 3, 150, len(lines) - 1, len(lines)} {
		cases = append(cases, damage{fmt.Sprintf("bit flip in line %d", ln), func() []byte {
			b := []byte(strings.Join(lines, ""))
			off := len(strings.Join(lines[:ln-1], "")) + 2
			b[off] ^= 0x04
			return b
		}, ln})
	}
	cases = append(cases,
		damage{"every line bit-flipped", func() []byte {
			var b []byte
			for _, l := range lines {
				lb := []byte(l)
				lb[len(lb)/2] ^= 0x01
				b = append(b, lb...)
			}
			return b
		}, 1},
		damage{"zeroed 4 KB block mid-file", func() []byte {
			b := append([]byte(nil), content...)
			clear(b[4096 : 2*4096])
			return b
		}, lineAt(4096)},
		damage{"a line of another journal", func() []byte {
			l := append(append(append([]string(nil), lines[:100]...), otherLines[100]), lines[101:]...)
			return []byte(strings.Join(l, ""))
		}, 101},
		damage{"a line of another journal inserted", func() []byte {
			l := append(append(append([]string(nil), lines[:100]...), otherLines[100]), lines[100:]...)
			return []byte(strings.Join(l, ""))
		}, 101},
		damage{"a line of another journal at the end", func() []byte {
			return []byte(strings.Join(lines, "") + otherLines[len(otherLines)-2])
		}, len(lines) + 1},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			path := dir + "/damaged.journal"
			b := tt.mangle()
			write(t, path, b)
			_, _, err := open(path, testMeta(), false, fastConfig())
			var de *DamagedError
			if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
				t.Fatalf("Open = %v, want a *DamagedError", err)
			}
			if de.Line != tt.line {
				t.Errorf("damaged line %d, want %d (%v)", de.Line, tt.line, err)
			}
			msg := err.Error()
			for _, want := range []string{fmt.Sprintf("line %d", tt.line), "--fresh", "already charged would be charged again", path} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			// The charged rows are counted from the lines that check out:
			// one in three rows, less those whose line is damaged.
			if de.Charged > rows/3 || (tt.line > 150 && de.Charged < rows/3-1) {
				t.Errorf("Charged = %d, want about %d", de.Charged, rows/3)
			}
			if after, _ := os.ReadFile(path); string(after) != string(b) {
				t.Errorf("the refused journal was changed")
			}
		})
	}
	// The message counts what --fresh would cost exactly for one flip in
	// the last line (a run record).
	t.Run("count", func(t *testing.T) {
		path := dir + "/count.journal"
		b := []byte(strings.Join(lines, ""))
		b[len(b)-3] ^= 0x01 // in the last line's checksum
		write(t, path, b)
		_, _, err := open(path, testMeta(), false, fastConfig())
		var de *DamagedError
		// Possibly charged: the lost attempt of each row without a final
		// (one in three) and of rows 300 and 301.
		if !errors.As(err, &de) || de.Charged != rows/3 || de.PossiblyCharged != rows/3+2 {
			t.Fatalf("Open = %v, want %d charged and %d possibly charged", err, rows/3, rows/3+2)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%d rows already charged", rows/3)) {
			t.Errorf("message %q", err)
		}
	})
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

// durable returns once every record appended so far is on disk.
func durable(j *Journal) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.waitDurable(j.appended)
}
