package writer

import (
	"os"
	"path/filepath"
	"testing"
)

// A run killed mid-write leaves ".<name>.tmp-*" beside the output; the next
// run removes those of its own output and nothing else.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out[1].csv")
	mine := []string{"." + "out[1].csv" + ".tmp-123", "." + "out[1].csv" + ".tmp-abc"}
	others := []string{".other.csv.tmp-1", "out[1].csv", ".out1.csv.tmp-9"}
	for _, n := range append(append([]string{}, mine...), others...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStale(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(mine) {
		t.Errorf("removed %v, want %v", removed, mine)
	}
	for _, n := range mine {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there", n)
		}
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
}
