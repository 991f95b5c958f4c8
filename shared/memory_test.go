package shared

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/internal/redistest"
)

var testSecret = bytes.Repeat([]byte{0x5a}, 32)

func openMemory(t testing.TB, srv *redistest.Server, db int, retain time.Duration) *Memory {
	t.Helper()
	m, err := OpenMemory(context.Background(), mustParse(t, srv.URL(db)), MemoryOptions{
		Options: Options{TLSConfig: srv.TLSConfig}, Secret: testSecret, Retain: retain,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// rawClient is a plain client for looking at what Redis holds.
func rawClient(t testing.TB, srv *redistest.Server, db int) *redis.Client {
	t.Helper()
	u := mustParse(t, srv.URL(db))
	c := redis.NewClient(&redis.Options{Addr: u.Addr(), Username: u.User, Password: u.password, DB: db, TLSConfig: srv.TLSConfig})
	t.Cleanup(func() { c.Close() })
	return c
}

const (
	epCN  = "https://faceid.tencentcloudapi.com:443"
	epSim = "http://127.0.0.1:8080"
)

func TestMemoryLookupRecord(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := openMemory(t, srv, 0, 0)
	ctx := context.Background()
	p0, p1 := fake.Person(0), fake.Person(1)
	k0, k1 := m.RowKey(p0), m.RowKey(p1)
	t0 := time.Date(2026, 12, 1, 3, 4, 5, 123456789, time.UTC)
	if time.Since(t0) > 80*24*time.Hour {
		t0 = time.Now().Add(-time.Hour).UTC() // keep it within Retain
	}
	first := batch.Remembered{Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: "req-1", AnsweredAt: t0, Endpoint: epCN}
	if err := m.Record(ctx, k0, first); err != nil {
		t.Fatal(err)
	}
	// Another endpoint's answer for the same row is kept apart.
	sim := batch.Remembered{Result: "-4", Description: "x", Charged: batch.ChargedYes, RequestID: "req-sim", AnsweredAt: t0.Add(time.Minute), Endpoint: epSim}
	if err := m.Record(ctx, k0, sim); err != nil {
		t.Fatal(err)
	}
	// An older answer does not replace a newer one.
	older := first
	older.Result, older.RequestID, older.AnsweredAt = "-5", "req-old", t0.Add(-time.Hour)
	if err := m.Record(ctx, k0, older); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		key      batch.MemoryKey
		endpoint string
		since    time.Time
		want     *batch.Remembered
	}{
		{"recorded", k0, epCN, t0.Add(-12 * time.Hour), &first},
		{"since equal to the answer", k0, epCN, t0, &first},
		{"since after the answer", k0, epCN, t0.Add(time.Nanosecond), nil},
		{"other endpoint", k0, epSim, t0.Add(-12 * time.Hour), &sim},
		{"endpoint never used", k0, "https://faceid.intl.tencentcloudapi.com:443", time.Time{}, nil},
		{"other row", k1, epCN, time.Time{}, nil},
		{"card key is not a row key", m.CardKey(p0.BankCard), epCN, time.Time{}, nil},
	} {
		got, ok, err := m.Lookup(ctx, tc.key, tc.endpoint, tc.since)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.want == nil {
			if ok {
				t.Errorf("%s: found %+v, want none", tc.name, got)
			}
			continue
		}
		if !ok || got != *tc.want {
			t.Errorf("%s: Lookup = %+v, %v; want %+v", tc.name, got, ok, *tc.want)
		}
	}
	// A newer answer replaces the older.
	newer := first
	newer.Result, newer.RequestID, newer.AnsweredAt = "-4", "req-2", t0.Add(2*time.Hour)
	if err := m.Record(ctx, k0, newer); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := m.Lookup(ctx, k0, epCN, t0); err != nil || !ok || got != newer {
		t.Errorf("after a newer Record: Lookup = %+v, %v, %v; want %+v", got, ok, err, newer)
	}
	// Equal fields under another memory key give other keys: nothing found.
	other, err := OpenMemory(ctx, mustParse(t, srv.URL(0)), MemoryOptions{Secret: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, ok, err := other.Lookup(ctx, other.RowKey(p0), epCN, time.Time{}); err != nil || ok {
		t.Errorf("Lookup under another memory key: ok %v, err %v; want none", ok, err)
	}
}

// TestMemoryRetention: an answer expires Retain after it was given, and
// one already older is not stored; Prune deletes by answer time.
func TestMemoryRetention(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	const retain = 10 * 24 * time.Hour
	m := openMemory(t, srv, 0, retain)
	raw := rawClient(t, srv, 0)
	ctx := context.Background()
	now := time.Now().UTC()
	rec := func(i int, age time.Duration) batch.MemoryKey {
		k := m.RowKey(fake.Person(i))
		r := batch.Remembered{Result: "0", Charged: batch.ChargedYes, AnsweredAt: now.Add(-age), Endpoint: epCN}
		if err := m.Record(ctx, k, r); err != nil {
			t.Fatal(err)
		}
		return k
	}
	fresh := rec(0, time.Hour)
	mid := rec(1, 5*24*time.Hour)
	old := rec(2, 8*24*time.Hour)
	gone := rec(3, 11*24*time.Hour) // older than retain: not stored
	ttl, err := raw.PTTL(ctx, answerPrefix+answerID(fresh, epCN)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := retain - time.Hour; ttl > want+time.Second || ttl < want-time.Minute {
		t.Errorf("TTL of an answer 1 h old = %v, want about %v", ttl, want)
	}
	if _, ok, _ := m.Lookup(ctx, gone, epCN, time.Time{}); ok {
		t.Error("an answer older than Retain was stored")
	}
	n, err := m.Prune(ctx, now.Add(-3*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune deleted %d, want 2", n)
	}
	for _, tc := range []struct {
		name string
		key  batch.MemoryKey
		want bool
	}{{"1 h", fresh, true}, {"5 d", mid, false}, {"8 d", old, false}} {
		if _, ok, err := m.Lookup(ctx, tc.key, epCN, time.Time{}); err != nil || ok != tc.want {
			t.Errorf("answer %s old after Prune: found %v (%v), want %v", tc.name, ok, err, tc.want)
		}
	}
	if c, _ := raw.ZCard(ctx, answerIndex).Result(); c != 1 {
		t.Errorf("index holds %d after Prune, want 1", c)
	}
	if n, err := m.Prune(ctx, now.Add(-3*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}

// TestMemoryPruneMany: Prune goes on past one batch.
func TestMemoryPruneMany(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := openMemory(t, srv, 0, 0)
	ctx := context.Background()
	at := time.Now().Add(-48 * time.Hour).UTC()
	const n = pruneBatch*2 + 17
	for i := range n {
		if err := m.Record(ctx, m.RowKey(fake.Person(i)), batch.Remembered{Result: "0", AnsweredAt: at, Endpoint: epSim}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := m.Prune(ctx, at.Add(time.Millisecond)); err != nil || got != n {
		t.Errorf("Prune = %d, %v; want %d", got, err, n)
	}
}

func TestCardGuard(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := openMemory(t, srv, 0, 0)
	raw := rawClient(t, srv, 0)
	ctx := context.Background()
	card := m.CardKey(fake.Person(7).BankCard)
	t0 := time.Now().Truncate(time.Millisecond).UTC()
	var ids []string
	for i := range 3 {
		r, err := m.ReserveCard(ctx, card, t0.Add(time.Duration(i)*time.Minute), 3)
		if err != nil || !r.OK || r.ID == "" {
			t.Fatalf("reservation %d = %+v, %v; want OK with an ID", i+1, r, err)
		}
		ids = append(ids, r.ID)
	}
	r, err := m.ReserveCard(ctx, card, t0.Add(time.Hour), 3)
	if err != nil || r.OK {
		t.Fatalf("4th reservation = %+v, %v; want refused", r, err)
	}
	if want := t0.Add(CardWindow); !r.Next.Equal(want) {
		t.Errorf("Next = %v, want %v (the oldest + 24 h)", r.Next, want)
	}
	// Another card is not held back.
	if r, err := m.ReserveCard(ctx, m.CardKey(fake.Person(8).BankCard), t0, 3); err != nil || !r.OK {
		t.Errorf("other card = %+v, %v; want OK", r, err)
	}
	// max 0: no guard, nothing counted.
	if r, err := m.ReserveCard(ctx, card, t0.Add(time.Hour), 0); err != nil || !r.OK {
		t.Errorf("max 0 = %+v, %v; want OK", r, err)
	}
	if c, _ := raw.ZCard(ctx, cardPrefix+hexKey(card)).Result(); c != 3 {
		t.Errorf("card counts %d calls, want 3", c)
	}
	ttl, _ := raw.PTTL(ctx, cardPrefix+hexKey(card)).Result()
	if ttl <= 0 || ttl > CardWindow+3*time.Minute {
		t.Errorf("card TTL = %v, want at most 24 h after the newest call", ttl)
	}
	// Releasing one lets one more through.
	if err := m.ReleaseCard(ctx, card, ids[1]); err != nil {
		t.Fatal(err)
	}
	if r, err := m.ReserveCard(ctx, card, t0.Add(time.Hour), 3); err != nil || !r.OK {
		t.Errorf("after ReleaseCard = %+v, %v; want OK", r, err)
	}
	if r, _ := m.ReserveCard(ctx, card, t0.Add(time.Hour), 3); r.OK {
		t.Error("over the cap again, yet OK")
	}
	// 24 h after the oldest, it leaves the window.
	if r, err := m.ReserveCard(ctx, card, t0.Add(CardWindow), 3); err != nil || !r.OK {
		t.Errorf("24 h after the oldest = %+v, %v; want OK", r, err)
	}
}

func hexKey(k batch.MemoryKey) string { return fmt.Sprintf("%x", k[:]) }

// TestCardGuardAcrossProcesses: 2 processes × 50 reservations of one card
// at once, max 3: exactly 3 succeed.
func TestCardGuardAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "card-pw"})
	start := time.Now().Add(500 * time.Millisecond)
	env := []string{"URL=" + srv.URL(5), "CARD=6222021234567890123", "MAX=3", "N=50", fmt.Sprintf("START=%d", start.UnixNano())}
	waits := []func() []string{startChild(t, "card", env...), startChild(t, "card", env...)}
	ok := 0
	for i, w := range waits {
		lines := w()
		if len(lines) != 1 {
			t.Fatalf("process %d printed %q", i, lines)
		}
		n, err := strconv.Atoi(lines[0])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("process %d: %d of 50 reserved", i, n)
		ok += n
	}
	if ok != 3 {
		t.Errorf("%d reservations succeeded over 2 processes, want exactly 3", ok)
	}
}

// childCard reserves CARD N times at once (N goroutines) with max MAX
// and prints how many succeeded.
func childCard() int {
	u, err := ParseURL(os.Getenv("URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m, err := OpenMemory(context.Background(), u, MemoryOptions{Secret: testSecret})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer m.Close()
	card := m.CardKey(os.Getenv("CARD"))
	max, n := int(envInt("MAX")), int(envInt("N"))
	time.Sleep(time.Until(time.Unix(0, envInt("START"))))
	var mu sync.Mutex
	ok, failed := 0, 0
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := m.ReserveCard(context.Background(), card, time.Now(), max)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				failed++
			} else if r.OK {
				ok++
			}
		}()
	}
	wg.Wait()
	fmt.Println(ok)
	if failed > 0 {
		return 1
	}
	return 0
}

// TestMemoryLost: with Redis stopped, every method returns an error
// matching ErrRedis, not ctx's, before the test's deadline, naming the
// redacted URL and never the password.
func TestMemoryLost(t *testing.T) {
	const pw = "mem-lost-password"
	srv := redistest.Start(t, redistest.Options{Password: pw})
	m := openMemory(t, srv, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	k := m.RowKey(fake.Person(0))
	card := m.CardKey(fake.Person(0).BankCard)
	if _, _, err := m.Lookup(ctx, k, epCN, time.Time{}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	calls := map[string]func() error{
		"Lookup": func() error { _, _, err := m.Lookup(ctx, k, epCN, time.Time{}); return err },
		"Record": func() error {
			return m.Record(ctx, k, batch.Remembered{Result: "0", AnsweredAt: time.Now(), Endpoint: epCN})
		},
		"ReserveCard": func() error { _, err := m.ReserveCard(ctx, card, time.Now(), 3); return err },
		"ReleaseCard": func() error { return m.ReleaseCard(ctx, card, "x") },
		"Prune":       func() error { _, err := m.Prune(ctx, time.Now()); return err },
	}
	for name, call := range calls {
		began := time.Now()
		err := call()
		checkLost(t, name, err, ctx, pw, "redis://:xxxxx@"+srv.Addr+"/1")
		t.Logf("%s: lost after %v: %v", name, time.Since(began), err)
	}
}

func checkLost(t *testing.T, name string, err error, ctx context.Context, pw, redacted string) {
	t.Helper()
	if err == nil || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("%s with Redis stopped = %v, want a Redis error before the deadline", name, err)
		return
	}
	if !errors.Is(err, ErrRedis) {
		t.Errorf("%s: %v does not match ErrRedis", name, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %v is not an *Error", name, err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("%s: error shows the password: %v", name, err)
	}
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("%s: error %q does not name %s", name, err, redacted)
	}
}

// TestOpenFails: an unreachable Redis, a wrong password or a missing key
// fail Open with a message naming the redacted URL, never the password.
func TestOpenFails(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{Password: "right-password", User: "jobs", UserPassword: "jobs-password"})
	closed := redistest.Start(t, redistest.Options{})
	closedAddr := closed.Addr
	closed.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, url, pw, redacted, want string
	}{
		{"unreachable", "redis://:some-password@" + closedAddr + "/0", "some-password", "redis://:xxxxx@" + closedAddr + "/0", "connection refused"},
		{"wrong password", "redis://:wrong-password@" + srv.Addr + "/0", "wrong-password", "redis://:xxxxx@" + srv.Addr + "/0", "WRONGPASS"},
		{"wrong user password", "redis://jobs:wrong-password@" + srv.Addr + "/0", "wrong-password", "redis://jobs:xxxxx@" + srv.Addr + "/0", "WRONGPASS"},
		{"no password", "redis://" + srv.Addr + "/0", "", "redis://" + srv.Addr + "/0", "NOAUTH"},
		{"no such database", "redis://:right-password@" + srv.Addr + "/99", "right-password", "redis://:xxxxx@" + srv.Addr + "/99", "DB index is out of range"},
	} {
		u := mustParse(t, tc.url)
		_, gerr := OpenGate(ctx, u, "AKID-x", 20, Options{})
		_, merr := OpenMemory(ctx, u, MemoryOptions{Secret: testSecret})
		for what, err := range map[string]error{"OpenGate": gerr, "OpenMemory": merr} {
			name := tc.name + ": " + what
			checkLost(t, name, err, ctx, "\x00never", tc.redacted)
			if err == nil {
				continue
			}
			if tc.pw != "" && strings.Contains(err.Error(), tc.pw) {
				t.Errorf("%s: error shows the password: %v", name, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q in it", name, err, tc.want)
			}
			t.Logf("%s: %v", name, err)
		}
	}
	// The right passwords work, for the default user and an ACL user.
	for _, url := range []string{"redis://:right-password@" + srv.Addr + "/2", "redis://jobs:jobs-password@" + srv.Addr + "/2"} {
		g, err := OpenGate(ctx, mustParse(t, url), "AKID-x", 20, Options{})
		if err != nil {
			t.Errorf("OpenGate %s: %v", mustParse(t, url), err)
			continue
		}
		if err := g.Wait(ctx); err != nil {
			t.Errorf("Wait %s: %v", mustParse(t, url), err)
		}
		g.Close()
	}
	u := mustParse(t, srv.URL(0))
	if _, err := OpenMemory(ctx, u, MemoryOptions{}); err == nil || !strings.Contains(err.Error(), "--memory-key") {
		t.Errorf("OpenMemory with no key = %v, want an error naming --memory-key", err)
	}
	if _, err := OpenMemory(ctx, u, MemoryOptions{Secret: []byte("short")}); err == nil {
		t.Error("OpenMemory with a 5-byte key succeeded")
	}
	if _, err := OpenGate(ctx, u, "AKID-x", 0, Options{}); err == nil || !strings.Contains(err.Error(), "--qps") {
		t.Errorf("OpenGate at qps 0 = %v, want an error naming --qps", err)
	}
}

// TestTLS: rediss:// speaks TLS and checks the server's certificate.
func TestTLS(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{TLS: true, Password: "tls-password"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u := mustParse(t, srv.URL(0))
	m, err := OpenMemory(ctx, u, MemoryOptions{Options: Options{TLSConfig: srv.TLSConfig}, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := batch.Remembered{Result: "0", AnsweredAt: time.Now().UTC(), Endpoint: epSim}
	k := m.RowKey(fake.Person(1))
	if err := m.Record(ctx, k, r); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := m.Lookup(ctx, k, epSim, time.Time{}); err != nil || !ok || got != r {
		t.Errorf("Lookup over TLS = %+v, %v, %v", got, ok, err)
	}
	// The system's roots do not know the test's certificate.
	_, err = OpenGate(ctx, u, "AKID-tls", 20, Options{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("OpenGate with an untrusted certificate = %v, want a certificate error", err)
	}
	// Plain redis:// to a TLS port fails too.
	plain := mustParse(t, strings.Replace(srv.URL(0), "rediss://", "redis://", 1))
	if _, err := OpenGate(ctx, plain, "AKID-tls", 20, Options{Timeout: 500 * time.Millisecond}); err == nil {
		t.Error("redis:// to a TLS port succeeded")
	}
}

// TestNoPersonalData scans every key and value in Redis after a run's
// worth of answers, card reservations and gate starts: no name, ID, card
// or phone of the rows, no SecretId and no memory key is there.
func TestNoPersonalData(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	const db = 4
	m := openMemory(t, srv, db, 0)
	const secretID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	g, err := OpenGate(context.Background(), mustParse(t, srv.URL(db)), secretID, 1000, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	var secrets []string
	for i := range 20 {
		p := fake.Person(1000 + i)
		if err := g.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := m.ReserveCard(ctx, m.CardKey(p.BankCard), time.Now(), 3)
		if err != nil || !res.OK {
			t.Fatalf("ReserveCard = %+v, %v", res, err)
		}
		r := batch.Remembered{Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: fmt.Sprintf("req-%d", i), AnsweredAt: time.Now().UTC(), Endpoint: epCN}
		if err := m.Record(ctx, m.RowKey(p), r); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, p.Name, p.BankCard, p.Phone, p.IDCard,
			p.BankCard[len(p.BankCard)-10:], p.IDCard[:14], p.Phone[3:])
	}
	secrets = append(secrets, secretID, string(testSecret), fmt.Sprintf("%x", testSecret))

	raw := rawClient(t, srv, db)
	var keys []string
	iter := raw.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 42 { // 20 answers, 20 cards, 2 indexes, and the gate's unless it expired (1 s)
		t.Fatalf("Redis holds %d keys, want at least 42: %q", len(keys), keys)
	}
	var all strings.Builder
	for _, k := range keys {
		all.WriteString(k + "\n")
		dump, err := raw.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("DUMP %s: %v", k, err)
		}
		all.WriteString(dump + "\n")
		switch typ := raw.Type(ctx, k).Val(); typ {
		case "hash":
			for f, v := range raw.HGetAll(ctx, k).Val() {
				all.WriteString(f + "=" + v + "\n")
			}
		case "zset":
			for _, z := range raw.ZRangeWithScores(ctx, k, 0, -1).Val() {
				fmt.Fprintf(&all, "%v %v\n", z.Member, z.Score)
			}
		case "string":
			all.WriteString(raw.Get(ctx, k).Val() + "\n")
		default:
			t.Errorf("key %s has type %s", k, typ)
		}
	}
	text := all.String()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("Redis holds %q", s)
		}
	}
	if !strings.Contains(text, "req-7") || !strings.Contains(text, epCN) {
		t.Error("the scan did not see the answers (no RequestId or endpoint): it checks nothing")
	}
}

// TestMemoryForgetAndStats: Forget deletes a row's answers from every
// endpoint and no other row's; Stats counts what is kept.
func TestMemoryForgetAndStats(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := openMemory(t, srv, 0, 0)
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UTC()
	rec := func(i int, ep, result string, at time.Time) batch.MemoryKey {
		k := m.RowKey(fake.Person(i))
		if err := m.Record(ctx, k, batch.Remembered{Result: result, AnsweredAt: at, Endpoint: ep}); err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := rec(0, epCN, "0", t0)
	rec(0, epSim, "-4", t0.Add(time.Minute))
	k1 := rec(1, epCN, "0", t0.Add(2*time.Minute))
	rec(2, epCN, "-5", t0.Add(3*time.Minute))

	st, err := m.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Entries: 4, Oldest: t0, Newest: t0.Add(3 * time.Minute), ByResult: map[string]int{"0": 2, "-4": 1, "-5": 1}}
	if st.Entries != want.Entries || !st.Oldest.Equal(want.Oldest) || !st.Newest.Equal(want.Newest) || fmt.Sprint(st.ByResult) != fmt.Sprint(want.ByResult) {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}

	if n, err := m.Forget(ctx, k0); err != nil || n != 2 {
		t.Errorf("Forget row 0 = %d, %v; want 2 (both endpoints)", n, err)
	}
	for _, ep := range []string{epCN, epSim} {
		if _, ok, _ := m.Lookup(ctx, k0, ep, time.Time{}); ok {
			t.Errorf("row 0 from %s still there after Forget", ep)
		}
	}
	if _, ok, _ := m.Lookup(ctx, k1, epCN, time.Time{}); !ok {
		t.Error("Forget of row 0 deleted row 1")
	}
	if n, err := m.Forget(ctx, k0); err != nil || n != 0 {
		t.Errorf("second Forget = %d, %v; want 0", n, err)
	}
	if st, _ := m.Stats(ctx); st.Entries != 2 {
		t.Errorf("Stats after Forget: %d entries, want 2", st.Entries)
	}
	raw := rawClient(t, srv, 0)
	if a, b := raw.ZCard(ctx, answerIndex).Val(), raw.ZCard(ctx, rowIndex).Val(); a != 2 || b != 2 {
		t.Errorf("indexes hold %d and %d after Forget, want 2 and 2", a, b)
	}
}
