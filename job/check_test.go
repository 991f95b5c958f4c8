package job

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
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

// adjacentRepeats counts the keys of a sorted slice equal to the one before.
func adjacentRepeats(sorted []uint64) int {
	n := 0
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			n++
		}
	}
	return n
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

// TestCountRepeatsEdges: the key 0 (which the hash set cannot hold), keys
// that differ only in the bits that pick their part or only in the bits
// below, and a part far larger than the others.
func TestCountRepeatsEdges(t *testing.T) {
	for _, keys := range [][]uint64{
		{0},
		{0, 0},
		{0, 0, 0, 1, 1, 0},
		{1 << 56, 2 << 56, 1 << 56, 1, 2, 1, 1<<56 | 1, 1<<56 | 1},
		{1 << 63, 1<<63 | 1<<55, 1 << 63, ^uint64(0), ^uint64(0)},
	} {
		if got, want := countRepeats(slices.Clone(keys)), sortedRepeats(keys); got != want {
			t.Errorf("countRepeats(%x) = %d, want %d", keys, got, want)
		}
	}
	rnd := rand.New(rand.NewPCG(9, 10))
	keys := make([]uint64, 100_000)
	for i := range keys {
		keys[i] = rnd.Uint64()
		if i%3 == 0 {
			keys[i] >>= 8 // a third in part 0
		}
		if i > 0 && i%7 == 0 {
			keys[i] = keys[rnd.IntN(i)]
		}
	}
	if got, want := countRepeats(slices.Clone(keys)), sortedRepeats(keys); got != want {
		t.Errorf("skewed parts: countRepeats = %d, want %d", got, want)
	}
}

// TestRowHash: rowHash gives two rows the same hash exactly when
// batch.Keyer gives them the same key (cert type "0" and "" alike), over
// rows of few distinct values so that many pairs are equal.
func TestRowHash(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 16))
	keyer := batch.NewKeyer()
	seed := maphash.MakeSeed()
	pick := func(vals ...string) string { return vals[rnd.IntN(len(vals))] }
	row := func() batch.Fields {
		return batch.Fields{
			Name:     pick("张伟", "Wei", "", "a"),
			BankCard: pick("6222023416721109", "", "a"),
			Phone:    pick("16689915737", "", "a"),
			IDCard:   pick("110101198503129492", "", "a"),
			CertType: pick("", "0", "1", "a"),
		}
	}
	equal := 0
	for range 20000 {
		a, b := row(), row()
		sameKey := keyer.Key(a) == keyer.Key(b)
		if sameHash := rowHash(seed, a) == rowHash(seed, b); sameHash != sameKey {
			t.Fatalf("%+q and %+q: same key %v, same hash %v", a, b, sameKey, sameHash)
		}
		if sameKey {
			equal++
		}
	}
	if equal == 0 {
		t.Fatal("the test made no equal rows")
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

// TestCheckFingerprint: the input_sha256 of check is the SHA-256 of the
// file's bytes, for CSV files hashed as Open reads them (UTF-8, with a BOM,
// and GB18030, whose scan stops at the first byte that is not UTF-8).
func TestCheckFingerprint(t *testing.T) {
	const head = "Name,BankCard,Phone,IdCard\n"
	const row = "Wei Zhang,6222023416721109,16689915737,110101198503129492\n"
	big := strings.Repeat(row, 5000) // more than the reader's 64 KiB chunks
	for name, in := range map[string]struct {
		data     string
		distinct int
	}{
		"utf-8": {head + big, 1},
		// Beyond ASCII from the first line: the reader checks the
		// encoding as it reads the rows, and feeds the digest then.
		"utf-8 beyond ascii": {head + strings.Repeat("张伟,6222023416721109,16689915737,110101198503129492\n", 5000), 1},
		"bom":                {"\xef\xbb\xbf" + head + big, 1},
		"gb18030":            {head + big + "\xd5\xc5\xce\xb0,6222023416721109,16689915737,110101198503129492\n" + big, 2},
	} {
		data := in.data
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "in.csv")
			if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Check(p, reader.Options{}, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(data))
			if rep.InputSHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("input_sha256 %s, want %x", rep.InputSHA256, sum)
			}
			if rep.Rows == 0 || rep.Valid != rep.Rows || rep.Duplicates != rep.Valid-in.distinct {
				t.Errorf("rows %d, valid %d, duplicates %d: want %d distinct valid rows", rep.Rows, rep.Valid, rep.Duplicates, in.distinct)
			}
		})
	}
	if _, err := Check(filepath.Join(t.TempDir(), "missing.csv"), reader.Options{}, 10, nil); err == nil {
		t.Error("Check of a missing file succeeded")
	}
}

// TestAsyncDigest: writes of every size, from a buffer the writer reuses,
// while another goroutine helps now and then (or never), hash to the
// SHA-256 of all the bytes in order; a write after close fails.
func TestAsyncDigest(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 20))
	for _, helping := range []bool{false, true} {
		d := newAsyncDigest()
		stop := make(chan struct{})
		helped := make(chan struct{})
		go func() {
			defer close(helped)
			for helping {
				select {
				case <-stop:
					return
				default:
					d.help()
				}
			}
		}()
		var all []byte
		src := make([]byte, 2*digestQueueBytes+1)
		for k := range src {
			src[k] = byte(rnd.Uint32())
		}
		buf := make([]byte, len(src))
		for i := 0; i < 1000; i++ {
			n := rnd.IntN(1 << 12)
			switch rnd.IntN(100) {
			case 0:
				n = digestWakeBytes + rnd.IntN(digestQueueBytes)
			case 1:
				n = len(buf)
			}
			at := rnd.IntN(len(src) - n + 1)
			copy(buf, src[at:at+n]) // the writer reuses its buffer
			all = append(all, buf[:n]...)
			if _, err := d.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		<-helped
		d.close()
		d.close()
		got := <-d.out
		if want := sha256.Sum256(all); got.err != nil || got.sum != hex.EncodeToString(want[:]) {
			t.Errorf("helping %v: sum %s (%v), want %x", helping, got.sum, got.err, want)
		}
		if _, err := d.Write([]byte("late")); err != errDigestClosed {
			t.Errorf("write after close: %v, want %v", err, errDigestClosed)
		}
	}
}
