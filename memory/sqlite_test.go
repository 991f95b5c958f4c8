package memory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// childEnv, when set, makes the test binary a helper process of
// TestTwoProcesses instead of running the tests.
const childEnv = "BANKCARD4E_MEMORY_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if err := child(dir, os.Getenv(childEnv+"_ID")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var t0 = time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(filepath.Join(dir, "memory.db"), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func key(i int) batch.MemoryKey { return sha256.Sum256([]byte("test key " + strconv.Itoa(i))) }

const (
	epA = "https://faceid.tencentcloudapi.com:443"
	epB = "https://faceid.intl.tencentcloudapi.com:443"
)

func TestLookupRecord(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	rec := func(k batch.MemoryKey, ep string, at time.Time, result string) {
		t.Helper()
		r := batch.Remembered{Result: result, Description: "desc " + result, Charged: batch.ChargedYes, RequestID: "req-" + result, AnsweredAt: at, Endpoint: ep}
		if err := s.Record(ctx, k, r); err != nil {
			t.Fatal(err)
		}
	}
	rec(key(1), epA, t0, "0")
	rec(key(1), epA, t0.Add(time.Hour), "1")     // newer: replaces
	rec(key(1), epA, t0.Add(-time.Hour), "late") // older, recorded late: does not replace
	rec(key(1), epB, t0, "2")
	rec(key(2), epA, t0, "3")

	for _, tc := range []struct {
		name   string
		key    batch.MemoryKey
		ep     string
		since  time.Time
		result string // "" for no answer
	}{
		{"newest wins", key(1), epA, t0, "1"},
		{"since is inclusive", key(1), epA, t0.Add(time.Hour), "1"},
		{"too old", key(1), epA, t0.Add(time.Hour + time.Nanosecond), ""},
		{"zero since", key(1), epA, time.Time{}, "1"},
		{"other endpoint", key(1), epB, t0, "2"},
		{"unknown endpoint", key(2), epB, time.Time{}, ""},
		{"other key", key(2), epA, t0, "3"},
		{"unknown key", key(3), epA, time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok, err := s.Lookup(ctx, tc.key, tc.ep, tc.since)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.result != "") || r.Result != tc.result {
				t.Fatalf("Lookup = %+v, %v; want Result %q", r, ok, tc.result)
			}
			if !ok {
				return
			}
			if r.Endpoint != tc.ep || r.RequestID != "req-"+tc.result || r.Description != "desc "+tc.result || r.Charged != batch.ChargedYes {
				t.Errorf("Lookup = %+v", r)
			}
			if r.AnsweredAt.Location() != time.UTC {
				t.Errorf("AnsweredAt %v is not UTC", r.AnsweredAt)
			}
		})
	}
	if r, _, _ := s.Lookup(ctx, key(1), epA, t0); !r.AnsweredAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("AnsweredAt = %v, want %v", r.AnsweredAt, t0.Add(time.Hour))
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Lookup(cancelled, key(1), epA, t0); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with a cancelled context: %v", err)
	}
	if err := s.Record(cancelled, key(5), batch.Remembered{}); err == nil {
		t.Error("Record with a cancelled context succeeded")
	}
}

func TestReserveCard(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	card, other := s.CardKey("6222020000000000"), s.CardKey("6222020000000001")
	reserve := func(c batch.MemoryKey, now time.Time, max int) batch.CardReservation {
		t.Helper()
		r, err := s.ReserveCard(ctx, c, now, max)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var ids []string
	for i := range 3 {
		r := reserve(card, t0.Add(time.Duration(i)*time.Hour), 3)
		if !r.OK || r.ID == "" {
			t.Fatalf("reservation %d refused: %+v", i, r)
		}
		ids = append(ids, r.ID)
	}
	if r := reserve(card, t0.Add(3*time.Hour), 3); r.OK || !r.Next.Equal(t0.Add(Window)) {
		t.Errorf("4th reservation = %+v, want refused until %v", r, t0.Add(Window))
	}
	if r := reserve(other, t0.Add(3*time.Hour), 3); !r.OK {
		t.Error("another card was refused")
	}
	if r := reserve(card, t0.Add(3*time.Hour), 0); !r.OK || r.ID != "" {
		t.Errorf("max 0 = %+v, want OK without counting", r)
	}
	// A released call no longer counts.
	if err := s.ReleaseCard(ctx, card, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseCard(ctx, other, ids[0]); err != nil { // wrong card: nothing
		t.Fatal(err)
	}
	if r := reserve(card, t0.Add(4*time.Hour), 3); !r.OK {
		t.Error("refused after a release")
	}
	if r := reserve(card, t0.Add(4*time.Hour), 3); r.OK {
		t.Error("a 4th call in the window was allowed")
	}
	// The first call leaves the window exactly 24 hours after it.
	if r := reserve(card, t0.Add(Window-time.Nanosecond), 3); r.OK {
		t.Error("allowed just before the first call left the window")
	}
	if r := reserve(card, t0.Add(Window), 3); !r.OK {
		t.Error("refused after the first call left the window")
	}
}

func TestReserveCardConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	card := s.CardKey("6222020000000000")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.ReserveCard(ctx, card, t0, 3)
			if err != nil {
				t.Error(err)
				return
			}
			if r.OK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 3 {
		t.Errorf("%d of 40 concurrent reservations succeeded, want 3", ok)
	}
}

// child is one helper process of TestTwoProcesses: it opens the memory in
// dir, says it is ready, waits for the start file, then reserves the
// shared card and records answers from 8 goroutines, and prints how many
// reservations succeeded.
func child(dir, id string) error {
	s, err := Open(filepath.Join(dir, "memory.db"), "", Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := os.WriteFile(filepath.Join(dir, "ready-"+id), nil, 0o600); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx := context.Background()
	card := s.CardKey("6222020000000000")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	ok := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 50; i += 8 {
				r, err := s.ReserveCard(ctx, card, t0, 3)
				if err == nil {
					err = s.Record(ctx, key(i*1000+len(id)+int(id[0])), batch.Remembered{Result: "0", Charged: batch.ChargedYes, AnsweredAt: t0, Endpoint: epA})
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if r.OK {
					ok++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	fmt.Println(ok)
	return nil
}

// TestTwoProcesses runs two processes against one new memory at once:
// both create it, then each makes 50 reservations of one card (max 3) and
// 50 records. Exactly 3 reservations succeed in all, every record is
// there, and neither sees "database is locked".
func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	type proc struct {
		cmd  *exec.Cmd
		out  bytes.Buffer
		err  bytes.Buffer
		done chan error
	}
	procs := make([]*proc, 2)
	for i := range procs {
		p := &proc{cmd: exec.Command(os.Args[0], "-test.run=^$"), done: make(chan error, 1)}
		p.cmd.Env = append(os.Environ(), childEnv+"="+dir, childEnv+"_ID="+string(rune('a'+i)))
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.done <- p.cmd.Wait() }()
		procs[i] = p
	}
	for i, p := range procs {
	wait:
		for {
			select {
			case err := <-p.done:
				p.done <- err
				break wait
			default:
			}
			if _, err := os.Stat(filepath.Join(dir, "ready-"+string(rune('a'+i)))); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, p := range procs {
		if err := <-p.done; err != nil {
			t.Fatalf("process %d: %v: %s", i, err, p.err.String())
		}
		n, err := strconv.Atoi(strings.TrimSpace(p.out.String()))
		if err != nil {
			t.Fatalf("process %d printed %q (stderr %q)", i, p.out.String(), p.err.String())
		}
		total += n
	}
	if total != 3 {
		t.Errorf("%d reservations succeeded over two processes, want 3", total)
	}
	s := openTest(t, dir)
	st, err := s.Stats(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 100 || st.CardCalls != 3 {
		t.Errorf("after two processes: %d entries and %d card calls, want 100 and 3", st.Entries, st.CardCalls)
	}
}

func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "memory.db")
	s, err := Open(db, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := batch.Fields{Name: "张伟", BankCard: "6222020000000000", Phone: "13800000000", IDCard: "11010119900307123X"}
	if err := s.Record(ctx, s.RowKey(f), batch.Remembered{Result: "0", AnsweredAt: t0, Endpoint: epA}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	other := filepath.Join(dir, "other.key")
	if _, err := LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(db, other, Options{}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("open with another key: %v, want ErrWrongKey", err)
	} else if !strings.Contains(err.Error(), "--memory-key") {
		t.Errorf("the error does not say what to do: %v", err)
	}
	s, err = Open(db, DefaultKeyPath(db), Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok, err := s.Lookup(ctx, s.RowKey(f), epA, t0); err != nil || !ok {
		t.Errorf("reopened with its own key: lookup = %v, %v", ok, err)
	}
}

func TestNoCreate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "memory.db")
	if _, err := Open(db, "", Options{NoCreate: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NoCreate on a missing memory: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("NoCreate made the directory")
	}
}

func TestForget(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	rows := []batch.Fields{
		{Name: "张伟", BankCard: "6222020000000000", Phone: "13800000000", IDCard: "11010119900307123X"},
		{Name: "李娜", BankCard: "6222020000000001", Phone: "13800000001", IDCard: "110101199003071234"},
		{Name: "王芳", BankCard: "6222020000000002", Phone: "13800000002", IDCard: "110101199003071242"},
	}
	for _, f := range rows {
		for _, ep := range []string{epA, epB} {
			if err := s.Record(ctx, s.RowKey(f), batch.Remembered{Result: "0", AnsweredAt: t0, Endpoint: ep}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.ReserveCard(ctx, s.CardKey(f.BankCard), t0, 3); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Forget(ctx, []batch.MemoryKey{s.RowKey(rows[0]), s.CardKey(rows[0].BankCard), s.RowKey(rows[1]), s.CardKey(rows[1].BankCard), key(9)})
	if err != nil {
		t.Fatal(err)
	}
	if got != (Forgotten{Answers: 4, CardCalls: 2}) {
		t.Errorf("Forget = %+v, want 4 answers and 2 card calls", got)
	}
	for i, f := range rows {
		for _, ep := range []string{epA, epB} {
			_, ok, err := s.Lookup(ctx, s.RowKey(f), ep, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if ok != (i == 2) {
				t.Errorf("row %d at %s: remembered %v after forgetting rows 0 and 1", i, ep, ok)
			}
		}
	}
	st, _ := s.Stats(ctx, t0)
	if st.CardCalls != 1 {
		t.Errorf("%d card calls left, want 1", st.CardCalls)
	}
}

func TestPruneAndStats(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	st, err := s.Stats(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 0 || !st.Oldest.IsZero() || !st.Newest.IsZero() {
		t.Errorf("empty memory: %+v", st)
	}
	now := t0
	ages := []time.Duration{100 * 24 * time.Hour, 91 * 24 * time.Hour, 89 * 24 * time.Hour, time.Hour, 0}
	results := []string{"0", "1", "0", "-4", "0"}
	for i, age := range ages {
		if err := s.Record(ctx, key(i), batch.Remembered{Result: results[i], AnsweredAt: now.Add(-age), Endpoint: epA}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReserveCard(ctx, key(100+i), now.Add(-age), 3); err != nil {
			t.Fatal(err)
		}
	}
	st, err = s.Stats(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 5 || !st.Oldest.Equal(now.Add(-ages[0])) || !st.Newest.Equal(now) ||
		st.ByResult["0"] != 3 || st.ByResult["1"] != 1 || st.ByResult["-4"] != 1 || st.ByEndpoint[epA] != 5 || st.CardCalls != 2 {
		t.Errorf("Stats = %+v", st)
	}
	n, err := s.Prune(ctx, now.Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune deleted %d answers, want 2", n)
	}
	for i := range ages {
		_, ok, _ := s.Lookup(ctx, key(i), epA, time.Time{})
		if ok != (i >= 2) {
			t.Errorf("answer %d (age %v) remembered %v after pruning at 90 days", i, ages[i], ok)
		}
	}
	var cards, old int
	if err := s.db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE at < ?) FROM cards`, nanos(now.Add(-90*24*time.Hour))).Scan(&cards, &old); err != nil {
		t.Fatal(err)
	}
	// The counts in the window stay; the older ones are gone, by the
	// prune or before it by the store's own expiry (which the last
	// reservations did not run again: it runs once a minute).
	if cards != 2 || old != 0 {
		t.Errorf("%d card counts after pruning, %d of them older than the prune time; want 2 and 0", cards, old)
	}
	// A count older than the prune time that the expiry did not take
	// (another process's, say) goes with the prune.
	if _, err := s.db.Exec(`INSERT INTO cards (id, card, at) VALUES ('x', x'00', ?)`, nanos(now.Add(-95*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(ctx, now.Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM cards WHERE id = 'x'`).Scan(&old); err != nil || old != 0 {
		t.Errorf("a card count of 95 days survived a prune at 90 days (%d, %v)", old, err)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"0", 0, true},
		{"0d", 0, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{" 2d ", 48 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"-5h", 0, false},
		{"1d-5h", 0, false},
		{"1e3d", 0, false},
		{"NaNd", 0, false},
		{"12", 0, false},
		{"3days", 0, false},
		{"200000d", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDefaultPaths(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env  map[string]string
		home string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/var/state"}, "/home/u", "/var/state/bankcard4e/memory.db"},
		{map[string]string{"XDG_STATE_HOME": "relative"}, "/home/u", "/home/u/.local/state/bankcard4e/memory.db"},
		{nil, "/home/u", "/home/u/.local/state/bankcard4e/memory.db"},
		{nil, "", ""},
	} {
		got, err := DefaultPath(env(tc.env), tc.home)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("DefaultPath(%v, %q) = %q, %v; want %q", tc.env, tc.home, got, err, tc.want)
		}
	}
	for in, want := range map[string]string{
		"/s/memory.db": "/s/memory.key",
		"/s/jobs":      "/s/jobs.key",
		"/s/x.key":     "/s/x.key.key",
	} {
		if got := DefaultKeyPath(in); got != want {
			t.Errorf("DefaultKeyPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://faceid.tencentcloudapi.com":      "https://faceid.tencentcloudapi.com:443",
		"https://Faceid.TencentCloudAPI.com:443/": "https://faceid.tencentcloudapi.com:443",
		"http://127.0.0.1:8080/path":              "http://127.0.0.1:8080",
		"http://[::1]:9000":                       "http://[::1]:9000",
		"HTTP://localhost":                        "http://localhost:80",
		"faceid.tencentcloudapi.com":              "",
		"ftp://x":                                 "",
		"https://faceid.intl.tencentcloudapi.com": "https://faceid.intl.tencentcloudapi.com:443",
	} {
		got, err := Endpoint(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// benchDir holds the benchmark's million-entry memory, made once per
// process.
var (
	benchDir   string
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

const benchCustomers = 1_000_000

// benchMemory is a memory of a million customers, bulk-inserted in one
// transaction.
func benchMemory(b *testing.B) *Store {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "memory-bench-")
		if benchErr != nil {
			return
		}
		benchStore, benchErr = Open(filepath.Join(benchDir, "memory.db"), "", Options{})
		if benchErr != nil {
			return
		}
		tx, err := benchStore.db.Begin()
		if err != nil {
			benchErr = err
			return
		}
		stmt, err := tx.Prepare(`INSERT INTO answers (key, endpoint, answered_at, result, description, charged, request_id) VALUES (?, ?, ?, '0', 'Verification passed', 'yes', ?)`)
		if err != nil {
			benchErr = err
			return
		}
		for i := range benchCustomers {
			k := benchStore.RowKey(benchFields(i))
			if _, err := stmt.Exec(k[:], epA, nanos(t0.Add(-time.Duration(i)*time.Second)), "0f6a1e2c-"+strconv.Itoa(i)); err != nil {
				benchErr = err
				return
			}
		}
		stmt.Close()
		benchErr = tx.Commit()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func benchFields(i int) batch.Fields {
	n := fmt.Sprintf("%09d", i)
	return batch.Fields{Name: "客户" + n, BankCard: "6222020" + n, Phone: "13" + n, IDCard: "110101199003" + n[3:] + "X"}
}

// BenchmarkLookup looks customers up in a memory of a million, from one
// goroutine and from many; each op is one lookup (a hit).
func BenchmarkLookup(b *testing.B) {
	s := benchMemory(b)
	ctx := context.Background()
	keys := make([]batch.MemoryKey, 4096)
	for i := range keys {
		keys[i] = s.RowKey(benchFields(i * 241 % benchCustomers))
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, ok, err := s.Lookup(ctx, keys[i%len(keys)], epA, time.Time{}); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, ok, err := s.Lookup(ctx, keys[i%len(keys)], epA, time.Time{}); err != nil || !ok {
					b.Error(ok, err)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
}

// BenchmarkRecord records new answers into the million-customer memory,
// one transaction each, as a run does.
func BenchmarkRecord(b *testing.B) {
	s := benchMemory(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		k := key(i + 10_000_000)
		if err := s.Record(ctx, k, batch.Remembered{Result: "0", Charged: batch.ChargedYes, RequestID: "r", AnsweredAt: t0, Endpoint: epA}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReserveCard reserves calls for distinct cards, one transaction
// each.
func BenchmarkReserveCard(b *testing.B) {
	s := benchMemory(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.ReserveCard(ctx, key(i+20_000_000), t0, 3); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}

func TestOpenNotADatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "customers.csv")
	content := []byte("Name,BankCard\n")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, "", Options{}); err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("Open of a CSV file: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); fi.Mode().Perm() != 0o644 || !bytes.Equal(b, content) {
		t.Errorf("Open changed the file it refused: mode %04o, %q", fi.Mode().Perm(), b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Open of a CSV file left %d files, want 1", len(entries))
	}
}
