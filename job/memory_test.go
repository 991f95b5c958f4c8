package job

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
)

func TestValidateMemory(t *testing.T) {
	cases := []struct {
		name string
		m    MemoryPlan
		want string // "" no error
	}{
		{"zero: no memory", MemoryPlan{}, ""},
		{"off ignores the memory options", MemoryPlan{Off: true, Path: "m.db", Retain: time.Hour, ReuseWithin: 2 * time.Hour}, ""},
		{"retain shorter than reuse", MemoryPlan{Path: "m.db", Endpoint: "https://x:443", Retain: time.Hour, ReuseWithin: 2 * time.Hour}, "--retain"},
		{"retain 0 keeps everything", MemoryPlan{Path: "m.db", Endpoint: "https://x:443", ReuseWithin: 2 * time.Hour}, ""},
		{"shared needs a key", MemoryPlan{Shared: "redis://h:6379/0", Endpoint: "https://x:443"}, "--memory-key"},
		{"negative per card", MemoryPlan{MaxPerCard: -1}, "--max-per-card"},
		{"negative budget", MemoryPlan{MaxCharged: -1}, "--max-charged"},
		{"no endpoint", MemoryPlan{Path: "m.db"}, "endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateMemory(&c.m)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// A finished list is rerun when the memory answers it, refused when the
// memory is off or not read.
func TestRefuseRerunWithMemory(t *testing.T) {
	finished := earlier{exists: true, same: true}
	cases := []struct {
		name   string
		m      MemoryPlan
		refuse bool
	}{
		{"memory on", MemoryPlan{Path: "m.db", ReuseWithin: 12 * time.Hour}, false},
		{"shared memory on", MemoryPlan{Shared: "redis://h/0", ReuseWithin: 12 * time.Hour}, false},
		{"--no-memory", MemoryPlan{Off: true, Path: "m.db", ReuseWithin: 12 * time.Hour}, true},
		{"--reuse-within 0", MemoryPlan{Path: "m.db"}, true},
		{"no memory", MemoryPlan{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Plan{Out: "out.csv", Memory: c.m}
			if err := refuseRerun(p, finished); (err != nil) != c.refuse {
				t.Errorf("refuseRerun = %v, want refused %v", err, c.refuse)
			}
		})
	}
}

// Six rows on one card, --max-per-card 3: three calls, three deferred
// (exit 2); a rerun after the 24 h window (an injected clock) sends the
// three deferred and reuses the three answered.
func TestCardGuardWindow(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Name,BankCard,Phone,IdCard\n")
	card := fake.Person(0).BankCard
	for i := range 6 {
		f := fake.Person(i)
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", f.Name, card, f.Phone, f.IDCard)
	}
	input := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 2, 10, 0, 0, time.UTC)
	v := &countingVerifier{}
	plan := Plan{Input: input, Out: filepath.Join(dir, "out.csv"), Verifier: v, Version: "test", Endpoint: "test",
		Batch: batch.Config{Workers: 2}, Now: func() time.Time { return now },
		Memory: MemoryPlan{Path: filepath.Join(dir, "memory.db"), Endpoint: "test:1", Retain: 90 * 24 * time.Hour,
			ReuseWithin: 30 * 24 * time.Hour, MaxPerCard: 3}}
	rep, err := Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if v.calls.Load() != 3 || rep.Deferred != 3 || ExitCode(rep, nil) != ExitRowErrors {
		t.Fatalf("first run: %d calls, %d deferred, exit %d; want 3, 3, 2", v.calls.Load(), rep.Deferred, ExitCode(rep, nil))
	}
	now = now.Add(25 * time.Hour)
	rep, err = Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if v.calls.Load() != 6 || rep.Deferred != 0 || rep.Reused != 3 || ExitCode(rep, nil) != ExitOK {
		t.Errorf("after the window: %d calls in all, %d deferred, %d reused, exit %d; want 6, 0, 3, 0", v.calls.Load(), rep.Deferred, rep.Reused, ExitCode(rep, nil))
	}
}
