package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// A file that breaks off below good rows (here a stray quote) is refused
// before any call, with the line named: a run that paid for the rows above
// the break and then failed would leave no output to show for them.
func TestVerifyRefusesBrokenFileBeforeAnyCall(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	input := writeList(t, dir, 50)
	if err := os.WriteFile(input, append(mustRead(t, input), "R99999,\"unterminated,6222021234567890,13900000000,x\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--quiet", "--qps", "500", "--out", filepath.Join(dir, "out.csv"), input)
	if code != exitFatal || !strings.Contains(stderr, "line 52") || !strings.Contains(stderr, "no call was sent") {
		t.Fatalf("exit %d, want 1 naming line 52:\n%s", code, stderr)
	}
	if got := sim.Stats().Requests; got != 0 {
		t.Errorf("%d requests sent for a file that cannot be read to the end", got)
	}
}

// Rerunning a finished list with the memory off would charge every row
// again: refused unless --fresh, for .xlsx and .csv outputs alike; a
// changed input is verified. (With the memory on, the rerun is answered
// from it: memory_test.go.)
func TestVerifyRefusesRepeat(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		t.Run(name, func(t *testing.T) {
			sim, url := startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 10)
			out := filepath.Join(dir, name)
			args := []string{"verify", "--endpoint", url, "--quiet", "--qps", "200", "--no-memory", "--out", out}
			if _, stderr, code := runApp(t, context.Background(), append(args, input)...); code != exitOK {
				t.Fatalf("first run: exit %d\n%s", code, stderr)
			}
			before := sim.Stats().Requests
			_, stderr, code := runApp(t, context.Background(), append(args, input)...)
			if code != exitFatal || !strings.Contains(stderr, "already holds") || !strings.Contains(stderr, "--fresh") {
				t.Fatalf("rerun: exit %d\n%s", code, stderr)
			}
			if got := sim.Stats().Requests; got != before {
				t.Errorf("the refused rerun sent %d requests", got-before)
			}
			if _, stderr, code := runApp(t, context.Background(), append(args, "--fresh", input)...); code != exitOK {
				t.Fatalf("--fresh: exit %d\n%s", code, stderr)
			}
			f := person(500)
			extra := fmt.Sprintf("R99999,%s,%s,%s,%s\n", f.Name, f.BankCard, f.Phone, f.IDCard)
			if err := os.WriteFile(input, append(mustRead(t, input), extra...), 0o600); err != nil {
				t.Fatal(err)
			}
			// The output now holds another list's results: not replaced
			// without --force, and no call is sent.
			before = sim.Stats().Requests
			kept := mustRead(t, out)
			if _, stderr, code := runApp(t, context.Background(), append(args, input)...); code != exitFatal || !strings.Contains(stderr, "--force") {
				t.Fatalf("changed input without --force: exit %d\n%s", code, stderr)
			}
			if got := sim.Stats().Requests; got != before || string(mustRead(t, out)) != string(kept) {
				t.Errorf("the refused run sent %d requests or changed the output", got-before)
			}
			if _, stderr, code := runApp(t, context.Background(), append(args, "--force", input)...); code != exitOK {
				t.Fatalf("changed input: exit %d\n%s", code, stderr)
			}
			if sim.Stats().Requests == before {
				t.Error("the changed list was not verified")
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
