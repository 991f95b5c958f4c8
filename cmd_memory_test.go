package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/memory"
)

// memoryRun runs the CLI through newApp and returns stdout, stderr and
// the exit code.
func memoryRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := newApp(&out, &errb).Run(append([]string{"bankcard4e"}, args...))
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), exitCode(err)
}

const memoryTestEndpoint = "https://faceid.tencentcloudapi.com:443"

// fillMemory makes a memory at dir/memory.db holding the answers of
// fake.Person(0..n-1), person i answered ages[i%len(ages)] ago with
// Result results[i%len(results)], and one card-guard count per person.
func fillMemory(t *testing.T, dir string, n int, ages []time.Duration, results []string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "memory.db")
	s, err := memory.Open(path, "", memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	for i := range n {
		f := fake.Person(i)
		r := batch.Remembered{Result: results[i%len(results)], Description: "passed", Charged: batch.ChargedYes, RequestID: "req", AnsweredAt: now.Add(-ages[i%len(ages)]), Endpoint: memoryTestEndpoint}
		if err := s.Record(ctx, s.RowKey(f), r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReserveCard(ctx, s.CardKey(f.BankCard), now.Add(-ages[i%len(ages)]), 3); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// remembered reports which of fake.Person(0..n-1) the memory at path
// still answers.
func remembered(t *testing.T, path string, n int) []bool {
	t.Helper()
	s, err := memory.Open(path, "", memory.Options{NoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make([]bool, n)
	for i := range got {
		_, ok, err := s.Lookup(context.Background(), s.RowKey(fake.Person(i)), memoryTestEndpoint, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = ok
	}
	return got
}

// noPersonalData fails when out holds an element of fake.Person(0..n-1).
func noPersonalData(t *testing.T, out string, n int) {
	t.Helper()
	for i := range n {
		f := fake.Person(i)
		for _, v := range []string{f.Name, f.BankCard, f.Phone, f.IDCard} {
			if strings.Contains(out, v) {
				t.Errorf("output holds %q of person %d", v, i)
			}
		}
	}
}

func TestMemoryStats(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	path := fillMemory(t, dir, 6, []time.Duration{100 * day, 2 * time.Hour, 5 * day}, []string{"0", "-4"})
	out, errOut, code := memoryRun(t, "memory", "stats", "--memory", path)
	if code != 0 {
		t.Fatalf("memory stats: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"entries     6\n",
		"Result 0    3\n",
		"Result -4   3\n",
		"endpoint    " + memoryTestEndpoint + ": 6\n",
		"card guard  2 calls counted in the last 24 h\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("memory stats lacks %q:\n%s", want, out)
		}
	}
	noPersonalData(t, out+errOut, 6)
}

func TestMemoryStatsNone(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	out, errOut, code := memoryRun(t, "memory", "stats")
	want := filepath.Join(dir, "bankcard4e", "memory.db")
	if code != 0 || !strings.Contains(out, "no memory at "+want) {
		t.Errorf("memory stats without a memory: exit %d, %q %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("memory stats made %v", entries)
	}
}

func TestMemoryPrune(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	path := fillMemory(t, dir, 6, []time.Duration{100 * day, 2 * time.Hour, 31 * day}, []string{"0"})
	for _, tc := range []struct {
		olderThan string
		want      string
		left      []bool
	}{
		{"90d", "pruned 2 answers", []bool{false, true, true, false, true, true}},
		{"90d", "pruned 0 answers", []bool{false, true, true, false, true, true}},
		{"30d", "pruned 2 answers", []bool{false, true, false, false, true, false}},
	} {
		out, errOut, code := memoryRun(t, "memory", "prune", "--memory", path, "--older-than", tc.olderThan)
		if code != 0 || !strings.HasPrefix(out, tc.want+" given before ") {
			t.Errorf("prune --older-than %s: exit %d, %q %q; want %q", tc.olderThan, code, out, errOut, tc.want)
		}
		if got := remembered(t, path, 6); !equalBools(got, tc.left) {
			t.Errorf("after prune --older-than %s: remembered %v, want %v", tc.olderThan, got, tc.left)
		}
	}
	if _, errOut, code := memoryRun(t, "memory", "prune", "--memory", path, "--older-than", "-3d"); code != exitFatal || !strings.Contains(errOut, "--older-than") {
		t.Errorf("prune --older-than -3d: exit %d, %q", code, errOut)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMemoryForget(t *testing.T) {
	dir := t.TempDir()
	path := fillMemory(t, dir, 8, []time.Duration{time.Hour}, []string{"0"})
	// The erasure list names persons 2 and 5 in a layout of its own: other
	// headers, the card written with spaces, an extra column.
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"Note", "姓名", "Card", "Mobile", "ID"})
	for _, i := range []int{2, 5} {
		f := fake.Person(i)
		w.Write([]string{"erasure", f.Name, f.BankCard[:4] + " " + f.BankCard[4:], f.Phone, f.IDCard})
	}
	w.Flush()
	list := filepath.Join(dir, "erase.csv")
	if err := os.WriteFile(list, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := memoryRun(t, "memory", "forget", "--memory", path,
		"--column", "name=姓名", "--column", "bankcard=Card", "--column", "phone=Mobile", "--column", "idcard=ID", list)
	if code != 0 {
		t.Fatalf("memory forget: exit %d: %s", code, errOut)
	}
	if want := "forgot 2 answers and 2 card-guard counts for the 2 rows of " + list + "\n"; out != want {
		t.Errorf("memory forget printed %q, want %q", out, want)
	}
	noPersonalData(t, out+errOut, 8)
	want := []bool{true, true, false, true, true, false, true, true}
	if got := remembered(t, path, 8); !equalBools(got, want) {
		t.Errorf("after forgetting persons 2 and 5: remembered %v, want %v", got, want)
	}
	st, _, _ := memoryRun(t, "memory", "stats", "--memory", path)
	if !strings.Contains(st, "card guard  6 calls") {
		t.Errorf("card-guard counts after forget:\n%s", st)
	}

	// Another key file: refused with the reason, nothing forgotten.
	other := filepath.Join(dir, "other.key")
	if _, err := memory.LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = memoryRun(t, "memory", "forget", "--memory", path, "--memory-key", other, list)
	if code != exitFatal || !strings.Contains(errOut, "another key") {
		t.Errorf("forget with another key: exit %d, %q", code, errOut)
	}
	if _, _, code := memoryRun(t, "memory", "forget", "--memory", path); code != exitFatal {
		t.Errorf("forget without a LIST: exit %d", code)
	}
}
