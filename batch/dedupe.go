package batch

import (
	"encoding/hex"
	"sync"
	"time"
)

// dedupe remembers, for every distinct set of four elements that may
// repeat, the first row that carried it and — once that row is written —
// its answer, so that later copies are not sent and get the same Result,
// Description, RequestId and Answered at.
//
// With a Repeats set (made by a first pass over the input) only the rows
// it names are remembered at all: a row that occurs once costs nothing
// here. Without one, every distinct row is. Memory per remembered row is
// small and fixed: a 16-byte key (Keyer), the first row's index, an index
// into a table of interned answers, the answer's time, and the RequestId
// packed into 16 bytes when it is a UUID (as the service's are). Safe for
// concurrent use.
type dedupe struct {
	keyer   Keyer
	repeats *Repeats // nil: any row may repeat
	mu      sync.Mutex
	entries map[Key]dupEntry
	answers []Outcome // interned answers without RequestId, Calls, Lost, AnsweredAt
	index   map[Outcome]uint32
	odd     map[int]string // RequestIds that are not UUIDs, by first row
}

type dupEntry struct {
	first  int32
	answer uint32 // 1 + index into answers; 0 while the first row is unwritten
	at     int64  // AnsweredAt, Unix nanoseconds; 0 when zero
	uuid   [16]byte
}

// newDedupe returns a dedupe that remembers the rows of repeats, or every
// row when repeats is nil.
func newDedupe(repeats *Repeats) *dedupe {
	d := &dedupe{
		keyer:   NewKeyer(),
		repeats: repeats,
		entries: make(map[Key]dupEntry),
		index:   make(map[Outcome]uint32),
		odd:     make(map[int]string),
	}
	if repeats != nil {
		d.keyer = repeats.keyer
	}
	return d
}

// key is the de-duplication key of f.
func (d *dedupe) key(f Fields) Key { return d.keyer.Key(f) }

// first registers row as the first copy of key k, or returns the index of
// the first copy already registered and first false. tracked says whether
// the row's answer must be given to written (its key may repeat).
func (d *dedupe) first(k Key, row int) (firstRow int, first, tracked bool) {
	if d.repeats != nil && !d.repeats.has(k) {
		return row, true, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[k]; ok {
		return int(e.first), false, true
	}
	d.entries[k] = dupEntry{first: int32(row)}
	return row, true, true
}

// written records the outcome of the first copy of key k.
func (d *dedupe) written(k Key, o Outcome) {
	shared := Outcome{Status: o.Status, Result: o.Result, Description: o.Description, Charged: o.Charged, Error: o.Error}
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[k]
	i, ok := d.index[shared]
	if !ok {
		d.answers = append(d.answers, shared)
		i = uint32(len(d.answers))
		d.index[shared] = i
	}
	e.answer = i
	if !o.AnsweredAt.IsZero() {
		e.at = o.AnsweredAt.UnixNano()
	}
	if u, ok := parseUUID(o.RequestID); ok {
		e.uuid = u
	} else if o.RequestID != "" {
		d.odd[int(e.first)] = o.RequestID
	}
	d.entries[k] = e
}

// copyOf returns the outcome a later copy of key k gets: the first copy's
// answer with Status duplicate and Charged no. A copy of a row that was
// not attempted or was deferred is not attempted or deferred too: a rerun
// answers it with its first copy.
func (d *dedupe) copyOf(k Key) Outcome {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[k]
	if e.answer == 0 {
		// The first copy is always written before its later copies.
		return Outcome{Status: StatusError, Error: "internal: first copy not written yet", Duplicate: int(e.first)}
	}
	a := d.answers[e.answer-1]
	o := Outcome{Status: StatusDuplicate, Result: a.Result, Description: a.Description, Charged: ChargedNo, Error: a.Error, Duplicate: int(e.first)}
	if a.Status == StatusNotAttempted || a.Status == StatusDeferred {
		o.Status = a.Status
	}
	if e.at != 0 {
		o.AnsweredAt = time.Unix(0, e.at).UTC()
	}
	if s, ok := d.odd[int(e.first)]; ok {
		o.RequestID = s
	} else if e.uuid != ([16]byte{}) {
		o.RequestID = formatUUID(e.uuid)
	}
	return o
}

// parseUUID packs a canonical lower- or upper-case UUID into 16 bytes. It
// reports false for anything else, and for upper case (which would not
// round-trip).
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return u, false
		}
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, u != [16]byte{}
}

func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
