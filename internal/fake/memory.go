package fake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
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
	best, ok := m.lookupLocked(key, endpoint, since)
	return best, ok, nil
}

func (m *Memory) lookupLocked(key batch.MemoryKey, endpoint string, since time.Time) (batch.Remembered, bool) {
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
	return best, ok
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
	ok, until := m.claimLocked(key, endpoint, holder, now, lease)
	return ok, until, nil
}

func (m *Memory) claimLocked(key batch.MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (bool, time.Time) {
	k := claimKey{key, endpoint}
	if c, ok := m.claims[k]; ok && c.holder != holder && c.until.After(now) {
		m.ops["claim refused"]++
		return false, c.until
	}
	until := now.Add(lease)
	m.claims[k] = claim{holder: holder, until: until}
	return true, until
}

// LookupClaimer is a Memory with LookupOrClaim (batch.LookupClaimer), as
// the SQLite store has; its calls are counted as "lookup or claim".
type LookupClaimer struct{ *Memory }

var _ batch.LookupClaimer = LookupClaimer{}

// LookupOrClaim looks key up and, unless reuse takes what it found,
// claims it, under one lock.
func (c LookupClaimer) LookupOrClaim(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time, reuse func(batch.Remembered) bool,
	holder string, now time.Time, lease time.Duration) (batch.Remembered, bool, bool, time.Time, error) {
	if err := c.begin(ctx, "lookup or claim"); err != nil {
		return batch.Remembered{}, false, false, time.Time{}, err
	}
	if holder == "" || lease <= 0 {
		return batch.Remembered{}, false, false, time.Time{}, errors.New("fake memory: claim needs a holder and a positive lease")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.lookupLocked(key, endpoint, since); ok && reuse(r) {
		return r, true, false, time.Time{}, nil
	}
	ok, until := c.claimLocked(key, endpoint, holder, now, lease)
	return batch.Remembered{}, false, ok, until, nil
}

// CardClaimer is a LookupClaimer with LookupOrClaimCard
// (batch.CardClaimer), as the SQLite store has; its calls are counted as
// "lookup or claim card".
type CardClaimer struct{ LookupClaimer }

var _ batch.CardClaimer = CardClaimer{}

// LookupOrClaimCard is LookupOrClaim and, when it claims the row,
// ReserveCard, under one lock.
func (c CardClaimer) LookupOrClaimCard(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time, reuse func(batch.Remembered) bool,
	holder string, now time.Time, lease time.Duration, card batch.MemoryKey, max int) (batch.Remembered, bool, bool, time.Time, batch.CardReservation, error) {
	if err := c.begin(ctx, "lookup or claim card"); err != nil {
		return batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}, err
	}
	if holder == "" || lease <= 0 {
		return batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}, errors.New("fake memory: claim needs a holder and a positive lease")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.lookupLocked(key, endpoint, since); ok && reuse(r) {
		return r, true, false, time.Time{}, batch.CardReservation{}, nil
	}
	ok, until := c.claimLocked(key, endpoint, holder, now, lease)
	if !ok {
		return batch.Remembered{}, false, false, until, batch.CardReservation{}, nil
	}
	res := batch.CardReservation{OK: true}
	if max > 0 {
		res = c.reserveLocked(card, now, max)
	}
	return batch.Remembered{}, false, true, until, res, nil
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
	return m.reserveLocked(card, now, max), nil
}

func (m *Memory) reserveLocked(card batch.MemoryKey, now time.Time, max int) batch.CardReservation {
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
		return batch.CardReservation{Next: oldest.Add(24 * time.Hour)}
	}
	m.nextID++
	id := strconv.Itoa(m.nextID)
	m.cards[card] = append(live, cardCall{id: id, at: now})
	return batch.CardReservation{OK: true, ID: id}
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

// Prune deletes answers, card calls and claim ends older than before.
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
	for k, c := range m.claims {
		if c.until.Before(before) {
			delete(m.claims, k) // a crashed holder's, long expired
		}
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

// CheckClaims tests m against the contract of batch.Memory's Claim,
// Unclaim and Record (all but expiry, which each store judges by its own
// clock and tests apart): take, refuse another holder, renew, compare and
// delete, Record ends every holder's claim, one winner among many at
// once. m must be empty of claims; now is passed to Claim.
func CheckClaims(t testing.TB, m batch.Memory, now time.Time) {
	t.Helper()
	ctx := context.Background()
	const ep, ep2 = "https://claims.example:443", "http://127.0.0.1:1"
	k, k2, k3 := m.RowKey(Person(900001)), m.RowKey(Person(900002)), m.RowKey(Person(900003))
	lease := 2 * time.Minute
	claim := func(name string, key batch.MemoryKey, endpoint, holder string, wantOK bool) {
		t.Helper()
		ok, until, err := m.Claim(ctx, key, endpoint, holder, now, lease)
		switch {
		case err != nil:
			t.Errorf("%s: Claim: %v", name, err)
		case ok != wantOK:
			t.Errorf("%s: Claim = %v, want %v", name, ok, wantOK)
		case ok && !until.Equal(now.Add(lease)):
			t.Errorf("%s: claim held until %v, want now+lease %v", name, until, now.Add(lease))
		case !ok && (!until.After(now) || until.After(now.Add(lease))):
			t.Errorf("%s: refused with the other claim's end %v, want within (%v, %v]", name, until, now, now.Add(lease))
		}
	}
	unclaim := func(key batch.MemoryKey, endpoint, holder string) {
		t.Helper()
		if err := m.Unclaim(ctx, key, endpoint, holder); err != nil {
			t.Errorf("Unclaim(%s): %v", holder, err)
		}
	}
	claim("first", k, ep, "A", true)
	claim("another holder", k, ep, "B", false)
	claim("another row", k2, ep, "B", true)
	claim("another endpoint", k, ep2, "B", true)
	claim("renewal", k, ep, "A", true)
	unclaim(k, ep, "B") // not B's: left as it is
	claim("after another's Unclaim", k, ep, "B", false)
	unclaim(k, ep, "A")
	claim("after the holder's Unclaim", k, ep, "B", true)
	unclaim(k3, ep, "A") // none held: no error
	if err := m.Record(ctx, k, batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "claims-1", AnsweredAt: time.Now().UTC(), Endpoint: ep}); err != nil {
		t.Fatalf("Record: %v", err)
	}
	claim("after Record", k, ep, "C", true)
	claim("other endpoint's claim kept by Record", k, ep2, "D", false)

	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := m.Claim(ctx, k3, ep, "holder-"+strconv.Itoa(i), now, lease)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 32 holders took one claim at once, want 1", won)
	}
}

// CheckRunsPayOnce runs two lists of 200 rows with 100 in common (first
// in both, so the runs race for each) at once against one simulator,
// each run with its own client and its own batch.Memory, a and b (two
// handles on one store, as two processes would have), and checks that
// no row was paid twice: one call per row (a -18 or -19 answer, free and
// never reused, may be sent once by each), and the copy of the run that
// did not pay reused with the other's RequestId.
func CheckRunsPayOnce(t testing.TB, a, b batch.Memory) {
	t.Helper()
	var mu sync.Mutex
	calls := map[string]int{}
	sim, url := StartSimulator(t, simulator.Config{Inject: func(f batch.Fields, _ int) *simulator.Injection {
		mu.Lock()
		calls[f.BankCard]++
		mu.Unlock()
		return nil
	}})
	people := func(from, n int) []batch.Fields {
		out := make([]batch.Fields, n)
		for i := range out {
			out[i] = Person(from + i)
		}
		return out
	}
	common := people(5000, 100)
	lists := [2][]batch.Fields{append(append([]batch.Fields(nil), common...), people(6000, 100)...), append(append([]batch.Fields(nil), common...), people(7000, 100)...)}
	var reps [2]*batch.Report
	var outs [2][]batch.Outcome
	var wg sync.WaitGroup
	for i, mem := range []batch.Memory{a, b} {
		v, err := verifier.New(verifier.Config{
			Endpoint:   url,
			Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey},
			Timeout:    5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.CloseIdleConnections)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &outcomeSink{}
			rep, err := batch.Run(context.Background(), &fieldSource{fields: lists[i]}, v, s, batch.Config{
				Workers: 8, Attempts: 1, Memory: mem, Endpoint: url, ReuseWithin: 12 * time.Hour,
			})
			if err != nil {
				t.Error(err)
				return
			}
			reps[i], outs[i] = rep, s.got
		}()
	}
	wg.Wait()
	if reps[0] == nil || reps[1] == nil {
		t.FailNow()
	}
	by := [2]map[string]batch.Outcome{{}, {}}
	for i := range lists {
		if reps[i].Aborted || len(outs[i]) != len(lists[i]) {
			t.Fatalf("run %d aborted (%q) or wrote %d rows", i, reps[i].AbortReason, len(outs[i]))
		}
		for j, f := range lists[i] {
			by[i][f.BankCard] = outs[i][j]
		}
	}
	notReusable := func(o batch.Outcome) bool { return o.Result == "-18" || o.Result == "-19" }
	mu.Lock()
	defer mu.Unlock()
	for _, l := range lists {
		for _, f := range l {
			free := notReusable(by[0][f.BankCard]) || notReusable(by[1][f.BankCard])
			if n := calls[f.BankCard]; n != 1 && !(free && n == 2) {
				t.Errorf("row %s: %d calls, want 1", f.BankCard, n)
			}
		}
	}
	free := 0
	for _, f := range common {
		x, y := by[0][f.BankCard], by[1][f.BankCard]
		if notReusable(x) || notReusable(y) {
			free++
			continue
		}
		if x.Status == batch.StatusReused {
			x, y = y, x
		}
		if x.Status != batch.StatusVerified || y.Status != batch.StatusReused || x.RequestID == "" || y.RequestID != x.RequestID || y.Calls != 0 {
			t.Errorf("row %s: %+v and %+v; want one verified and the other reused with its RequestId and no call", f.BankCard, x, y)
		}
	}
	if free > len(common)/10 {
		t.Fatalf("%d common rows got -18 or -19: the check shows little", free)
	}
	requests := 0
	for _, n := range calls {
		requests += n
	}
	if got := sim.Stats().Requests; got != 300+free || requests != got || reps[0].Calls+reps[1].Calls != got {
		t.Errorf("the service got %d requests (%d counted, the reports %d+%d) for 300 distinct rows (%d common -18/-19)", got, requests, reps[0].Calls, reps[1].Calls, free)
	}
	if reps[0].Reused+reps[1].Reused != len(common)-free {
		t.Errorf("reused %d+%d, want %d", reps[0].Reused, reps[1].Reused, len(common)-free)
	}
}

// fieldSource serves rows made from fields.
type fieldSource struct {
	fields []batch.Fields
	i      int
}

func (s *fieldSource) Header() batch.Header {
	return batch.Header{Cells: []string{"Name", "BankCard", "Phone", "IdCard"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1}
}
func (s *fieldSource) Blank() int { return 0 }
func (s *fieldSource) Next() (batch.Row, error) {
	if s.i >= len(s.fields) {
		return batch.Row{}, io.EOF
	}
	f := s.fields[s.i]
	s.i++
	return batch.Row{Index: s.i - 1, Line: s.i + 1, Cells: []string{f.Name, f.BankCard, f.Phone, f.IDCard}, Fields: f}, nil
}

type outcomeSink struct{ got []batch.Outcome }

func (s *outcomeSink) Write(r *batch.Result) error { s.got = append(s.got, r.Outcome); return nil }

// CheckCardClaims checks LookupOrClaimCard of m against the contract of
// batch.CardClaimer: a row found and reused counts nothing; a row claimed
// counts the card's call as ReserveCard would, up to max in the window,
// then refuses with the time the oldest count leaves it; a row another
// holder holds counts nothing. m must be empty; now is the clock.
func CheckCardClaims(t testing.TB, m batch.CardClaimer, now time.Time) {
	t.Helper()
	ctx := context.Background()
	const ep = "https://faceid.tencentcloudapi.com:443"
	yes := func(batch.Remembered) bool { return true }
	card := m.CardKey(Person(1).BankCard)
	loc := func(row int, holder string, at time.Time) (bool, bool, batch.CardReservation) {
		t.Helper()
		_, found, claimed, _, res, err := m.LookupOrClaimCard(ctx, m.RowKey(Person(row)), ep, now.Add(-time.Hour), yes, holder, at, time.Minute, card, 2)
		if err != nil {
			t.Fatal(err)
		}
		return found, claimed, res
	}
	// left is how many calls ReserveCard may still count for card at at.
	left := func(at time.Time) int {
		t.Helper()
		var ids []string
		defer func() {
			for _, id := range ids {
				if err := m.ReleaseCard(ctx, card, id); err != nil {
					t.Fatal(err)
				}
			}
		}()
		for {
			res, err := m.ReserveCard(ctx, card, at, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				return len(ids)
			}
			ids = append(ids, res.ID)
		}
	}
	if found, claimed, res := loc(1, "run-a", now); found || !claimed || !res.OK || res.ID == "" {
		t.Fatalf("unanswered row: found %v claimed %v %+v, want claimed and counted", found, claimed, res)
	}
	if found, claimed, res := loc(1, "run-b", now.Add(time.Second)); found || claimed || res != (batch.CardReservation{}) {
		t.Errorf("row run-a holds: found %v claimed %v %+v, want refused, nothing counted", found, claimed, res)
	}
	if err := m.Record(ctx, m.RowKey(Person(1)), batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "r1", AnsweredAt: now, Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	if found, claimed, res := loc(1, "run-b", now.Add(time.Second)); !found || claimed || res != (batch.CardReservation{}) {
		t.Errorf("answered row: found %v claimed %v %+v, want reused, nothing counted", found, claimed, res)
	}
	if n := left(now.Add(time.Second)); n != 1 {
		t.Fatalf("after one counted claim of max 2, ReserveCard may count %d more, want 1", n)
	}
	// Another row of the same card: the second count, then the cap.
	if _, claimed, res := loc(2, "run-a", now.Add(2*time.Second)); !claimed || !res.OK {
		t.Errorf("second row of the card: claimed %v %+v, want claimed and counted", claimed, res)
	}
	_, claimed, res := loc(3, "run-a", now.Add(3*time.Second))
	if !claimed || res.OK || !res.Next.Equal(now.Add(24*time.Hour)) {
		t.Errorf("third row of the card, max 2: claimed %v %+v, want claimed, refused until %v", claimed, res, now.Add(24*time.Hour))
	}
}
