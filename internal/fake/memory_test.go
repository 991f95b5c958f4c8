package fake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestMemoryLookup(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	k := m.RowKey(Person(1))
	if k != m.RowKey(batch.Fields{Name: Person(1).Name, BankCard: Person(1).BankCard, Phone: Person(1).Phone, IDCard: Person(1).IDCard, CertType: "0"}) {
		t.Error(`cert type "0" and "" give different keys`)
	}
	if k == m.RowKey(Person(2)) || k == m.CardKey(Person(1).BankCard) {
		t.Error("distinct rows, or a row and its card, share a key")
	}
	for _, r := range []batch.Remembered{
		{Result: "0", RequestID: "old", AnsweredAt: t0, Endpoint: "https://a:443"},
		{Result: "-6", RequestID: "new", AnsweredAt: t0.Add(time.Hour), Endpoint: "https://a:443"},
		{Result: "-1", RequestID: "other", AnsweredAt: t0.Add(2 * time.Hour), Endpoint: "https://b:443"},
	} {
		if err := m.Record(ctx, k, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		endpoint string
		since    time.Time
		want     string // RequestID; "" none
	}{
		{"https://a:443", t0, "new"},
		{"https://a:443", t0.Add(time.Hour), "new"},
		{"https://a:443", t0.Add(time.Hour + 1), ""},
		{"https://b:443", t0, "other"},
		{"https://c:443", t0, ""},
	} {
		r, ok, err := m.Lookup(ctx, k, c.endpoint, c.since)
		if err != nil || ok != (c.want != "") || r.RequestID != c.want {
			t.Errorf("Lookup(%s, since %v) = %+v, %v, %v; want %q", c.endpoint, c.since, r, ok, err, c.want)
		}
	}
}

func TestMemoryCards(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	card := m.CardKey("6222020000000000")
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		r, err := m.ReserveCard(ctx, card, t0.Add(time.Duration(i)*time.Hour), 3)
		if err != nil || !r.OK || r.ID == "" {
			t.Fatalf("reservation %d: %+v, %v", i, r, err)
		}
		ids = append(ids, r.ID)
	}
	r, err := m.ReserveCard(ctx, card, t0.Add(3*time.Hour), 3)
	if err != nil || r.OK || !r.Next.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("fourth reservation: %+v, %v; want refused until %v", r, err, t0.Add(24*time.Hour))
	}
	if r, _ := m.ReserveCard(ctx, m.CardKey("6222020000000001"), t0, 3); !r.OK {
		t.Error("another card refused")
	}
	if err := m.ReleaseCard(ctx, card, ids[1]); err != nil {
		t.Fatal(err)
	}
	if r, _ := m.ReserveCard(ctx, card, t0.Add(4*time.Hour), 3); !r.OK {
		t.Error("refused after a release")
	}
	if r, _ := m.ReserveCard(ctx, card, t0.Add(5*time.Hour), 3); r.OK {
		t.Error("a fourth call counted after the release was refilled")
	}
	// The first call leaves the window 24 h after it was made.
	if r, _ := m.ReserveCard(ctx, card, t0.Add(24*time.Hour), 3); !r.OK {
		t.Error("refused 24 h after the oldest call")
	}
	if got := m.CardCalls("6222020000000000", t0.Add(24*time.Hour)); got != 3 {
		t.Errorf("%d calls in the window, want 3", got)
	}
	if r, _ := m.ReserveCard(ctx, card, t0.Add(6*time.Hour), 0); !r.OK || m.CardCalls("6222020000000000", t0.Add(24*time.Hour)) != 3 {
		t.Error("max 0 refused or counted")
	}
}

func TestCheckClaims(t *testing.T) {
	CheckClaims(t, NewMemory(), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

func TestCheckRunsPayOnce(t *testing.T) {
	m := NewMemory()
	CheckRunsPayOnce(t, m, m)
}

func TestMemoryClaims(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	k, k2 := m.RowKey(Person(1)), m.RowKey(Person(2))
	const ep, ep2 = "https://a:443", "https://b:443"
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	lease := 2 * time.Minute
	claim := func(name string, key batch.MemoryKey, endpoint, holder string, now time.Time, wantOK bool, wantUntil time.Time) {
		t.Helper()
		ok, until, err := m.Claim(ctx, key, endpoint, holder, now, lease)
		if err != nil || ok != wantOK || !until.Equal(wantUntil) {
			t.Errorf("%s: Claim = %v, %v, %v; want %v, %v", name, ok, until, err, wantOK, wantUntil)
		}
	}
	claim("first", k, ep, "A", t0, true, t0.Add(lease))
	claim("another holder", k, ep, "B", t0.Add(time.Minute), false, t0.Add(lease))
	claim("another row", k2, ep, "B", t0, true, t0.Add(lease))
	claim("another endpoint", k, ep2, "B", t0, true, t0.Add(lease))
	claim("renewal", k, ep, "A", t0.Add(time.Minute), true, t0.Add(time.Minute+lease))
	claim("before the renewed end", k, ep, "B", t0.Add(lease), false, t0.Add(time.Minute+lease))
	// A crashed holder's claim expires: at its end another may take it.
	claim("at the end", k, ep, "B", t0.Add(time.Minute+lease), true, t0.Add(time.Minute+2*lease))
	claim("A after losing it", k, ep, "A", t0.Add(2*time.Minute), false, t0.Add(time.Minute+2*lease))

	// Unclaim by another holder leaves the claim.
	if err := m.Unclaim(ctx, k, ep, "A"); err != nil {
		t.Fatal(err)
	}
	claim("after another's Unclaim", k, ep, "C", t0.Add(2*time.Minute), false, t0.Add(time.Minute+2*lease))
	if err := m.Unclaim(ctx, k, ep, "B"); err != nil {
		t.Fatal(err)
	}
	claim("after the holder's Unclaim", k, ep, "C", t0.Add(2*time.Minute), true, t0.Add(2*time.Minute+lease))

	// Record ends every claim on the row for its endpoint, whoever holds it.
	if err := m.Record(ctx, k, batch.Remembered{Result: "0", AnsweredAt: t0, Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	claim("after Record", k, ep, "D", t0.Add(2*time.Minute), true, t0.Add(2*time.Minute+lease))
	claim("other endpoint's claim kept by Record", k, ep2, "D", t0, false, t0.Add(lease))

	if _, _, err := m.Claim(ctx, k, ep, "", t0, lease); err == nil {
		t.Error("a claim without holder was taken")
	}
	m.Fail = func(op string) error {
		if op == "claim" || op == "unclaim" {
			return errors.New("down")
		}
		return nil
	}
	if _, _, err := m.Claim(ctx, k2, ep, "E", t0, lease); err == nil {
		t.Error("Fail(claim) not returned")
	}
	if err := m.Unclaim(ctx, k2, ep, "B"); err == nil {
		t.Error("Fail(unclaim) not returned")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	m.Fail = nil
	if _, _, err := m.Claim(cctx, k2, ep, "E", t0, lease); !errors.Is(err, context.Canceled) {
		t.Errorf("Claim with a done ctx: %v", err)
	}
}

func TestCheckCardClaims(t *testing.T) {
	CheckCardClaims(t, CardClaimer{LookupClaimer{NewMemory()}}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}
