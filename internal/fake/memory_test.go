package fake

import (
	"context"
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
