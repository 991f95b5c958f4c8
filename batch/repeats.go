package batch

import "slices"

// RepeatFinder finds, in a first pass over the input, the rows whose four
// elements occur more than once, so that the run keeps an answer only for
// those (SPEC section 3: memory must not grow with the row count beyond a
// small index). It holds 8 bytes per row added, until Repeats.
//
// Use: make one with NewRepeatFinder, Add the fields of every row the run
// may send (at least each row whose Problem is nil; adding others only costs
// memory) while the input is read before the first call, then give
// Repeats() to Config.Repeats. A RepeatFinder is not safe for concurrent
// use.
type RepeatFinder struct {
	keyer Keyer
	keys  []uint64
}

// NewRepeatFinder returns an empty RepeatFinder with a fresh Keyer.
func NewRepeatFinder() *RepeatFinder { return &RepeatFinder{keyer: NewKeyer()} }

// Add counts one row's normalised fields.
func (f *RepeatFinder) Add(fl Fields) {
	f.keys = append(f.keys, f.keyer.Key(fl)[0])
}

// Rows is how many rows were added.
func (f *RepeatFinder) Rows() int { return len(f.keys) }

// Repeats sorts the keys added and returns the set of those added more
// than once. The RepeatFinder is empty afterwards and its memory freed.
//
// The set is keyed by one 64-bit half of the de-duplication key: two
// distinct rows that share that half (about 1 in 3·10^7 for a million rows)
// only make the run keep one answer more than it needs; a repeated row is
// never missed.
func (f *RepeatFinder) Repeats() *Repeats {
	keys := f.keys
	f.keys = nil
	slices.Sort(keys)
	n := 0 // repeated keys, compacted to the front of keys
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		if j-i > 1 {
			keys[n] = keys[i]
			n++
		}
		i = j
	}
	return &Repeats{keyer: f.keyer, keys: slices.Clone(keys[:n])}
}

// Repeats is the set of rows that occur more than once in an input, made by
// a RepeatFinder; give it to Config.Repeats. A row whose key is not in the
// set is taken as the only copy of its four elements: the run does not
// remember it for de-duplication. It is safe for concurrent use.
type Repeats struct {
	keyer Keyer
	keys  []uint64 // sorted
}

// Len is the number of distinct repeated rows.
func (r *Repeats) Len() int { return len(r.keys) }

// has reports whether k may repeat.
func (r *Repeats) has(k Key) bool {
	_, ok := slices.BinarySearch(r.keys, k[0])
	return ok
}
