package fake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Memory is a batch.Memory held in process, for tests of the run: it keeps
// the contract of the interface (the newest answer per key and endpoint
// since a time, card reservations counted in a sliding 24 hours and
// released by ID, row claims judged by the now they are given) and counts
// what was asked of it. Fail, when set, is
// asked before every operation and its error returned instead. Safe for
// concurrent use.
type Memory struct {
	// Fail, when non-nil, is called with the operation's name ("lookup",
	// "record", "claim", "unclaim", "reserve", "release", "prune") before
	// it runs; a non-nil
	// error is returned as the operation's.
	Fail func(op string) error

	secret [32]byte

	mu      sync.Mutex
	entries map[batch.MemoryKey][]batch.Remembered
	cards   map[batch.MemoryKey][]cardCall
	claims  map[claimKey]claim
	nextID  int
	ops     map[string]int
	closed  bool
}

type claimKey struct {
	key      batch.MemoryKey
	endpoint string
}

type claim struct {
	holder string
	until  time.Time
}

type cardCall struct {
	id string
	at time.Time
}

// NewMemory returns an empty Memory with a fixed key secret.
func NewMemory() *Memory {
	m := &Memory{
		entries: map[batch.MemoryKey][]batch.Remembered{},
		cards:   map[batch.MemoryKey][]cardCall{},
		claims:  map[claimKey]claim{},
		ops:     map[string]int{},
	}
	copy(m.secret[:], "fake memory secret, tests only..")
	return m
}

func (m *Memory) key(domain string, parts ...string) batch.MemoryKey {
	h := hmac.New(sha256.New, m.secret[:])
	h.Write([]byte(domain))
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k batch.MemoryKey
	copy(k[:], h.Sum(nil))
	return k
}

// RowKey is an HMAC of f's fields ("" and "0" cert types alike).
func (m *Memory) RowKey(f batch.Fields) batch.MemoryKey {
	ct := f.CertType
	if ct == "0" {
		ct = ""
	}
	return m.key("row\x00", f.Name, f.BankCard, f.Phone, f.IDCard, ct)
}

// CardKey is an HMAC of the card number, apart from every RowKey.
func (m *Memory) CardKey(bankCard string) batch.MemoryKey {
	return m.key("card\x00", bankCard)
}

// begin counts op and asks Fail; it returns the error to give back.
func (m *Memory) begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	m.ops[op]++
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return errors.New("fake memory: closed")
	}
	if m.Fail != nil {
		return m.Fail(op)
	}
	return nil
}

// Lookup returns the newest answer for key from endpoint at or after since.
func (m *Memory) Lookup(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time) (batch.Remembered, bool, error) {
	if err := m.begin(ctx, "lookup"); err != nil {
		return batch.Remembered{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var best batch.Remembered
	ok := false
	for _, r := range m.entries[key] {
		if r.Endpoint != endpoint || r.AnsweredAt.Before(since) {
			continue
		}
		if !ok || r.AnsweredAt.After(best.AnsweredAt) {
			best, ok = r, true
		}
	}
	return best, ok, nil
}

// Record stores r for key and ends every claim on key for r.Endpoint.
func (m *Memory) Record(ctx context.Context, key batch.MemoryKey, r batch.Remembered) error {
	if err := m.begin(ctx, "record"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = append(m.entries[key], r)
	delete(m.claims, claimKey{key, r.Endpoint})
	return nil
}

// Claim takes or renews key's claim for endpoint for holder until
// now+lease, unless another holder's claim ends after now.
func (m *Memory) Claim(ctx context.Context, key batch.MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (bool, time.Time, error) {
	if err := m.begin(ctx, "claim"); err != nil {
		return false, time.Time{}, err
	}
	if holder == "" || lease <= 0 {
		return false, time.Time{}, errors.New("fake memory: claim needs a holder and a positive lease")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := claimKey{key, endpoint}
	if c, ok := m.claims[k]; ok && c.holder != holder && c.until.After(now) {
		m.ops["claim refused"]++
		return false, c.until, nil
	}
	until := now.Add(lease)
	m.claims[k] = claim{holder: holder, until: until}
	return true, until, nil
}

// Unclaim ends holder's claim on key for endpoint, if it is holder's.
func (m *Memory) Unclaim(ctx context.Context, key batch.MemoryKey, endpoint, holder string) error {
	if err := m.begin(ctx, "unclaim"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := claimKey{key, endpoint}
	if c, ok := m.claims[k]; ok && c.holder == holder {
		delete(m.claims, k)
	}
	return nil
}

// Claims returns how many row claims are held (expired ones included,
// until Record, Unclaim or a new Claim replaces them).
func (m *Memory) Claims() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.claims)
}

// ReserveCard counts a call for card when fewer than max were counted in
// the 24 hours before now.
func (m *Memory) ReserveCard(ctx context.Context, card batch.MemoryKey, now time.Time, max int) (batch.CardReservation, error) {
	if err := m.begin(ctx, "reserve"); err != nil {
		return batch.CardReservation{}, err
	}
	if max <= 0 {
		return batch.CardReservation{OK: true}, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	from := now.Add(-24 * time.Hour)
	var live []cardCall
	for _, c := range m.cards[card] {
		if c.at.After(from) {
			live = append(live, c)
		}
	}
	m.cards[card] = live
	if len(live) >= max {
		oldest := live[0].at
		for _, c := range live {
			if c.at.Before(oldest) {
				oldest = c.at
			}
		}
		return batch.CardReservation{Next: oldest.Add(24 * time.Hour)}, nil
	}
	m.nextID++
	id := strconv.Itoa(m.nextID)
	m.cards[card] = append(live, cardCall{id: id, at: now})
	return batch.CardReservation{OK: true, ID: id}, nil
}

// ReleaseCard uncounts the reservation id of card.
func (m *Memory) ReleaseCard(ctx context.Context, card batch.MemoryKey, id string) error {
	if err := m.begin(ctx, "release"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := m.cards[card]
	for i, c := range cs {
		if c.id == id {
			m.cards[card] = append(cs[:i:i], cs[i+1:]...)
			return nil
		}
	}
	return nil
}

// Prune deletes answers and card calls older than before.
func (m *Memory) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := m.begin(ctx, "prune"); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, rs := range m.entries {
		var keep []batch.Remembered
		for _, r := range rs {
			if r.AnsweredAt.Before(before) {
				n++
			} else {
				keep = append(keep, r)
			}
		}
		m.entries[k] = keep
	}
	for k, cs := range m.cards {
		var keep []cardCall
		for _, c := range cs {
			if !c.at.Before(before) {
				keep = append(keep, c)
			}
		}
		m.cards[k] = keep
	}
	return n, nil
}

// Close marks the memory closed: later operations fail.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// Ops returns how many times op was asked ("lookup", "record", …), and
// "claim refused": claims refused because another holder held the row.
func (m *Memory) Ops(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops[op]
}

// CardCalls returns the calls counted for bankCard in the 24 hours before now.
func (m *Memory) CardCalls(bankCard string, now time.Time) int {
	k := m.CardKey(bankCard)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.cards[k] {
		if c.at.After(now.Add(-24 * time.Hour)) {
			n++
		}
	}
	return n
}

// Entries returns every answer recorded, in no order.
func (m *Memory) Entries() []batch.Remembered {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []batch.Remembered
	for _, rs := range m.entries {
		out = append(out, rs...)
	}
	return out
}

var _ batch.Memory = (*Memory)(nil)
