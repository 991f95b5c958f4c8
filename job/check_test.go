package job

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/bankcard4e/bankcard4e/reader"
)

// BenchmarkCheckCSV runs Check over the CSV named by $BANKCARD4E_CHECK_CSV
// (e.g. one from bench/gen), to profile what check costs beyond the read.
func BenchmarkCheckCSV(b *testing.B) {
	path := os.Getenv("BANKCARD4E_CHECK_CSV")
	if path == "" {
		b.Skip("set BANKCARD4E_CHECK_CSV to a CSV file")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(path, reader.Options{}, 10, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// sortedRepeats is the plain count countRepeats must agree with.
func sortedRepeats(keys []uint64) int {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	return adjacentRepeats(keys)
}

func TestCountRepeats(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 100, 1<<12 - 1, 1 << 12, 50_000, 300_000} {
		for _, skew := range []bool{false, true} {
			keys := make([]uint64, n)
			for i := range keys {
				switch k := rnd.Uint64(); {
				case i > 0 && rnd.IntN(10) == 0:
					keys[i] = keys[rnd.IntN(i)] // a copy of an earlier row
				case skew:
					keys[i] = k >> 40 // all in the first buckets: not spread at all
				default:
					keys[i] = k
				}
			}
			want := sortedRepeats(keys)
			if n > 100 && want == 0 {
				t.Fatalf("n=%d: the test made no repeats", n)
			}
			if got := countRepeats(slices.Clone(keys)); got != want {
				t.Errorf("n=%d skew=%v: countRepeats = %d, want %d", n, skew, got, want)
			}
		}
	}
}

func BenchmarkCountRepeats1M(b *testing.B) {
	rnd := rand.New(rand.NewPCG(5, 6))
	keys := make([]uint64, 1_000_000)
	for i := range keys {
		keys[i] = rnd.Uint64()
	}
	work := make([]uint64, len(keys))
	b.Run("buckets", func(b *testing.B) {
		for b.Loop() {
			copy(work, keys)
			countRepeats(work)
		}
	})
	b.Run("sort", func(b *testing.B) {
		for b.Loop() {
			copy(work, keys)
			slices.Sort(work)
			adjacentRepeats(work)
		}
	})
}
