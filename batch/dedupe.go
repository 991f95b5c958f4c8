package batch

import (
	"encoding/hex"
	"sync"
)

// dedupe remembers, for every distinct set of four elements, the first row
// that carried it and — once that row is written — its answer, so that later
// copies are not sent and get the same Result, Description and RequestId.
//
// Memory per distinct row is small and fixed: a 16-byte key (Keyer), the first row's
// index, an index into a table of interned answers, and the RequestId packed
// into 16 bytes when it is a UUID (as the service's are). Safe for
// concurrent use.
type dedupe struct {
	keyer   Keyer
	mu      sync.Mutex
	entries map[Key]dupEntry
	answers []Outcome // interned answers without RequestId, Calls, Lost
	index   map[Outcome]uint32
	odd     map[int]string // RequestIds that are not UUIDs, by first row
}

type dupEntry struct {
	first  int32
	answer uint32 // 1 + index into answers; 0 while the first row is unwritten
	uuid   [16]byte
}

func newDedupe() *dedupe {
	return &dedupe{
		keyer:   NewKeyer(),
		entries: make(map[Key]dupEntry),
		index:   make(map[Outcome]uint32),
		odd:     make(map[int]string),
	}
}

// first registers row as the first copy of f, or returns the index of the
// first copy already registered and false.
func (d *dedupe) first(f Fields, row int) (int, bool) {
	k := d.keyer.Key(f)
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[k]; ok {
		return int(e.first), false
	}
	d.entries[k] = dupEntry{first: int32(row)}
	return row, true
}

// written records the outcome of the first copy of f.
func (d *dedupe) written(f Fields, o Outcome) {
	k := d.keyer.Key(f)
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
	if u, ok := parseUUID(o.RequestID); ok {
		e.uuid = u
	} else if o.RequestID != "" {
		d.odd[int(e.first)] = o.RequestID
	}
	d.entries[k] = e
}

// copyOf returns the outcome a later copy of f gets: the first copy's answer
// with Status duplicate and Charged no.
func (d *dedupe) copyOf(f Fields) Outcome {
	k := d.keyer.Key(f)
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[k]
	if e.answer == 0 {
		// The first copy is always written before its later copies.
		return Outcome{Status: StatusError, Error: "internal: first copy not written yet", Duplicate: int(e.first)}
	}
	a := d.answers[e.answer-1]
	o := Outcome{Status: StatusDuplicate, Result: a.Result, Description: a.Description, Charged: ChargedNo, Error: a.Error, Duplicate: int(e.first)}
	if a.Status == StatusNotAttempted {
		o.Status = StatusNotAttempted
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
