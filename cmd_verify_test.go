package main

import (
	"context"
	"fmt"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV with more rows than the .xlsx output holds is refused before any
// call; the same list with a .csv output, or a list that fits, passes.
func TestFitsRows(t *testing.T) {
	dir := t.TempDir()
	input := writeList(t, dir, 30)
	st, err := os.Stat(input)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		out     string
		limit   int
		wantErr bool
	}{
		{"out.xlsx", 10, true},
		{"out.csv", 10, false},
		{"out.xlsx", 30, false},
	}
	for _, tt := range tests {
		t.Run(tt.out+"/"+strings.Repeat("x", tt.limit/10), func(t *testing.T) {
			o := &verifyOptions{input: input, out: filepath.Join(dir, tt.out)}
			err := fitsRows(o, st.Size(), tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "out.csv") {
				t.Errorf("the error does not say to write .csv: %v", err)
			}
		})
	}
}

// Rerunning a finished list would charge every row again: refused unless
// --fresh, for .xlsx and .csv outputs alike; a changed input is verified.
func TestVerifyRefusesRepeat(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		t.Run(name, func(t *testing.T) {
			sim, url := startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 10)
			out := filepath.Join(dir, name)
			args := []string{"verify", "--endpoint", url, "--quiet", "--qps", "200", "--out", out}
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
			before = sim.Stats().Requests
			if _, stderr, code := runApp(t, context.Background(), append(args, input)...); code != exitOK {
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
