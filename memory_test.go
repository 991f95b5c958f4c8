package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// The memory of earlier answers, the card guard and the budget, through
// the CLI (SPEC section 11, issue 13).

// childArgsEnv, when set in a re-executed test binary, holds the JSON
// arguments the child runs the CLI with instead of the tests: two real
// processes sharing one memory.
const childArgsEnv = "BANKCARD4E_TEST_CHILD_ARGS"

func init() {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
	err := newApp(os.Stdout, os.Stderr).Run(append([]string{"bankcard4e"}, args...))
	if ee, ok := err.(*exitError); err != nil && (!ok || ee.err != nil) {
		fmt.Fprintf(os.Stderr, "bankcard4e: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// childVerify starts the CLI in another process of this test binary.
func childVerify(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// childCode waits for cmd and returns its exit code.
func childCode(cmd *exec.Cmd) int {
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// writePeople writes a list of people, one row each, Ref R00000… .
func writePeople(t *testing.T, path string, people []batch.Fields) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"Ref", "Name", "BankCard", "Phone", "IdCard"})
	for i, f := range people {
		w.Write([]string{fake.Ref(i), f.Name, f.BankCard, f.Phone, f.IDCard})
	}
	w.Flush()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// people is persons from..from+n-1.
func people(from, n int) []batch.Fields {
	var ps []batch.Fields
	for i := range n {
		ps = append(ps, person(from+i))
	}
	return ps
}

// outputByRef reads a CSV output: the Status, RequestId and Error of each
// row by Ref.
func outputByRef(t *testing.T, path string) map[string][3]string {
	t.Helper()
	recs := fake.ReadCSV(t, path)
	h := recs[0]
	ref, st, id, e := fake.Column(t, h, "Ref"), fake.Column(t, h, "Status"), fake.Column(t, h, "RequestId"), fake.Column(t, h, "Error")
	m := map[string][3]string{}
	for _, r := range recs[1:] {
		m[r[ref]] = [3]string{r[st], r[id], r[e]}
	}
	return m
}

// Issue 13, must-show 1: a finished list run again to another --out costs
// nothing but its -18/-19 rows; changed rows, and only they, are sent;
// --reuse-within 0 pays for every row.
func TestMemoryRerunReuses(t *testing.T) {
	busy, pending := person(3), person(7)
	count := newSendCounter()
	sim, url := startSim(t, simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
		count.inject(f, n)
		switch f {
		case busy:
			return &simulator.Injection{Result: "-18"}
		case pending:
			return &simulator.Injection{Result: "-19"}
		}
		return &simulator.Injection{Result: "0"} // no other -18/-19
	}})
	dir := t.TempDir()
	mem := filepath.Join(dir, "mem", "memory.db")
	ps := people(0, 40)
	input := writePeople(t, filepath.Join(dir, "list.csv"), ps)
	run := func(out string, more ...string) (string, int) {
		args := append([]string{"verify", "--endpoint", url, "--qps", "1000", "--quiet", "--retries", "1", "--max-per-card", "0", "--memory", mem, "--out", filepath.Join(dir, out)}, more...)
		_, stderr, code := runApp(t, context.Background(), append(args, input)...)
		return stderr, code
	}
	if stderr, code := run("first.csv"); code != exitOK && code != exitRowErrors {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	first := outputByRef(t, filepath.Join(dir, "first.csv"))
	before := count.snapshot()

	stderr, code := run("second.csv")
	if code != exitOK && code != exitRowErrors {
		t.Fatalf("rerun: exit %d\n%s", code, stderr)
	}
	sent := diffCounts(before, count.snapshot())
	for f := range sent {
		if f != busy && f != pending {
			t.Errorf("rerun sent a row answered before (%s)", f.Name)
		}
	}
	if sent[busy] == 0 || sent[pending] == 0 {
		t.Errorf("rerun did not send the -18/-19 rows again: %v", sent)
	}
	second := outputByRef(t, filepath.Join(dir, "second.csv"))
	for i, f := range ps {
		r := fake.Ref(i)
		if f == busy || f == pending {
			continue
		}
		if second[r][0] != "reused" || second[r][1] != first[r][1] || first[r][1] == "" {
			t.Errorf("row %s: %q (RequestId %q), want reused with the first run's RequestId %q", r, second[r][0], second[r][1], first[r][1])
		}
	}

	// Ten rows changed (another phone): exactly those are sent.
	changed := map[batch.Fields]bool{}
	for i := 10; i < 20; i++ {
		ps[i].Phone = person(500 + i).Phone
		changed[ps[i]] = true
	}
	writePeople(t, input, ps)
	before = count.snapshot()
	if stderr, code := run("third.csv"); code != exitOK && code != exitRowErrors {
		t.Fatalf("changed list: exit %d\n%s", code, stderr)
	}
	sent = diffCounts(before, count.snapshot())
	for f := range sent {
		if !changed[f] && f != busy && f != pending {
			t.Errorf("changed list: an unchanged row was sent (%s)", f.Name)
		}
	}
	for f := range changed {
		if sent[f] != 1 {
			t.Errorf("changed row %s sent %d times, want 1", f.Name, sent[f])
		}
	}

	// --reuse-within 0 pays for every row.
	before = count.snapshot()
	if stderr, code := run("fourth.csv", "--reuse-within", "0"); code != exitOK && code != exitRowErrors {
		t.Fatalf("--reuse-within 0: exit %d\n%s", code, stderr)
	}
	sent = diffCounts(before, count.snapshot())
	for _, f := range ps {
		if sent[f] == 0 {
			t.Errorf("--reuse-within 0 did not send %s", f.Name)
		}
	}
	_ = sim
}

// diffCounts is after minus before, the customers sent in between.
func diffCounts(before, after map[batch.Fields]int) map[batch.Fields]int {
	d := map[batch.Fields]int{}
	for f, n := range after {
		if n > before[f] {
			d[f] = n - before[f]
		}
	}
	return d
}

// Issue 13, must-show 2: two verify processes on overlapping lists at
// once, with one --memory, pay for no row twice and see no database error.
func TestMemoryTwoProcesses(t *testing.T) {
	count := newSendCounter()
	sim, url := startSim(t, simulator.Config{LatencyMin: 5e6, LatencyMax: 20e6, Inject: func(f batch.Fields, n int) *simulator.Injection {
		count.inject(f, n)
		return &simulator.Injection{Result: "0"} // no -18/-19, which are never reused
	}})
	dir := t.TempDir()
	mem := filepath.Join(dir, "memory.db")
	a := writePeople(t, filepath.Join(dir, "a.csv"), people(0, 150))
	b := writePeople(t, filepath.Join(dir, "b.csv"), people(50, 150))
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i, in := range []string{a, b} {
		cmd, out := childVerify(t, "verify", "--endpoint", url, "--qps", "200", "--quiet", "--max-per-card", "0", "--memory", mem,
			"--out", filepath.Join(dir, fmt.Sprintf("out%d.csv", i)), in)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if code := childCode(cmd); code != exitOK {
			t.Errorf("process %d: exit %d\n%s", i, code, outs[i])
		}
		if s := outs[i].String(); strings.Contains(strings.ToLower(s), "database") || strings.Contains(s, "SQLITE") {
			t.Errorf("process %d reported a database error:\n%s", i, s)
		}
	}
	for f, n := range count.snapshot() {
		if n != 1 {
			t.Errorf("%s sent %d times", f.Name, n)
		}
	}
	if got := len(count.snapshot()); got != 200 {
		t.Errorf("%d distinct rows sent, want the 200 of the two lists", got)
	}
	_ = sim
}

// Issue 13, must-show 3: six rows sharing one card, default
// --max-per-card: at most 3 calls, the rest deferred with the time, exit 2.
func TestMemoryCardGuard(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	ps := people(0, 6)
	for i := range ps {
		ps[i].BankCard = ps[0].BankCard
	}
	input := writePeople(t, filepath.Join(dir, "list.csv"), ps)
	out := filepath.Join(dir, "out.csv")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "1000", "--quiet",
		"--memory", filepath.Join(dir, "memory.db"), "--out", out, input)
	if code != exitRowErrors {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	if got := sim.Stats().Requests; got > 3 {
		t.Errorf("%d calls for one card, want at most 3", got)
	}
	deferred := 0
	for r, row := range outputByRef(t, out) {
		if row[0] == "deferred" {
			deferred++
			if !strings.Contains(row[2], fmt.Sprint(time.Now().UTC().Year())) {
				t.Errorf("deferred row %s: Error %q does not say when", r, row[2])
			}
		}
	}
	if deferred != 6-sim.Stats().Requests || deferred < 3 {
		t.Errorf("%d rows deferred, %d sent", deferred, sim.Stats().Requests)
	}
}

// Issue 13, must-show 4: --max-charged 40 on 300 chargeable rows charges
// at most 40 and exits 3; a rerun with a higher cap finishes, charging no
// row twice.
func TestMemoryBudget(t *testing.T) {
	sim, url := startSim(t, simulator.Config{Inject: func(batch.Fields, int) *simulator.Injection {
		return &simulator.Injection{Result: "0"}
	}})
	dir := t.TempDir()
	input := writePeople(t, filepath.Join(dir, "list.csv"), people(0, 300))
	args := []string{"verify", "--endpoint", url, "--qps", "1000", "--quiet", "--memory", filepath.Join(dir, "memory.db"), "--out", filepath.Join(dir, "out.csv")}
	_, stderr, code := runApp(t, context.Background(), append(args, "--max-charged", "40", input)...)
	if code != exitAborted || !strings.Contains(stderr, "budget reached") || !strings.Contains(stderr, "higher --max-charged") {
		t.Fatalf("exit %d, want 3 saying budget reached and what to do\n%s", code, stderr)
	}
	if got := sim.Stats().Charged; got > 40 || got == 0 {
		t.Errorf("simulator charged %d, want 1..40", got)
	}
	_, stderr, code = runApp(t, context.Background(), append(args, "--max-charged", "1000", input)...)
	if code != exitOK {
		t.Fatalf("rerun with a higher cap: exit %d\n%s", code, stderr)
	}
	if got := sim.Stats().Charged; got != 300 {
		t.Errorf("simulator charged %d over both runs, want 300 (one per row)", got)
	}
}

// Issue 13, must-show 5: the memory's directory holds none of the list's
// personal data, and is private.
func TestMemoryFilesPrivate(t *testing.T) {
	_, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	memDir := filepath.Join(dir, "state", "bankcard4e")
	input := writeList(t, dir, 60)
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "1000", "--quiet",
		"--memory", filepath.Join(memDir, "memory.db"), "--out", filepath.Join(dir, "out.csv"), input)
	if code != exitOK && code != exitRowErrors {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	needles := withHashes(personalData(t, input))
	files := fileContents(t, memDir)
	if len(files) < 2 {
		t.Fatalf("memory dir holds %d files, want the database and its key", len(files))
	}
	for name, data := range files {
		expectNone(t, "memory file "+name, data, needles)
		fi, err := os.Stat(filepath.Join(memDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, m)
		}
	}
	fi, err := os.Stat(memDir)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("memory dir has mode %o, want 700", m)
	}
}

// check counts the rows the memory would answer, and never makes one.
func TestCheckMemory(t *testing.T) {
	_, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	mem := filepath.Join(dir, "m", "memory.db")
	input := writePeople(t, filepath.Join(dir, "list.csv"), people(0, 20))
	check := func() map[string]any {
		t.Helper()
		rep := filepath.Join(dir, "check.json")
		stdout, stderr, code := runApp(t, context.Background(), "check", "--endpoint", url, "--memory", mem, "--report", rep, input)
		if code != exitOK || !strings.Contains(stdout, "memory would answer") {
			t.Fatalf("check: exit %d\n%s%s", code, stdout, stderr)
		}
		var m map[string]any
		if err := json.Unmarshal(mustRead(t, rep), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := check(); m["memory_answers"] != 0.0 || m["calls"] != 20.0 {
		t.Errorf("no memory: answers %v calls %v, want 0 and 20", m["memory_answers"], m["calls"])
	}
	if _, err := os.Stat(mem); err == nil {
		t.Fatal("check made a memory")
	}
	out := filepath.Join(dir, "out.csv")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "1000", "--quiet", "--memory", mem, "--out", out, input)
	if code != exitOK && code != exitRowErrors {
		t.Fatalf("verify: exit %d\n%s", code, stderr)
	}
	recs := fake.ReadCSV(t, out)
	st, res := fake.Column(t, recs[0], "Status"), fake.Column(t, recs[0], "Result")
	want := 0
	for _, r := range recs[1:] {
		if r[st] == "verified" && r[res] != "-18" && r[res] != "-19" {
			want++
		}
	}
	if m := check(); m["memory_answers"] != float64(want) || m["calls"] != float64(20-want) || want == 0 {
		t.Errorf("after a verify: answers %v calls %v, want %d and %d", m["memory_answers"], m["calls"], want, 20-want)
	}
}

// Every memory problem is found before the first call: exit 1, nothing
// sent.
func TestMemoryRefusedBeforeAnyCall(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	input := writeList(t, dir, 10)
	good := filepath.Join(dir, "good", "memory.db")
	if _, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--quiet", "--memory", good, "--out", filepath.Join(dir, "first.csv"), input); code != exitOK && code != exitRowErrors {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	otherKey := writeMemoryKey(t, t.TempDir())
	openKey := filepath.Join(dir, "open.key")
	if err := os.WriteFile(openKey, mustRead(t, otherKey), 0o644); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "notdb.db")
	if err := os.WriteFile(notDB, []byte("this is not a database, just some text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"wrong key", []string{"--memory", good, "--memory-key", otherKey}, "another key"},
		{"key readable by others", []string{"--memory", filepath.Join(dir, "new.db"), "--memory-key", openKey}, "open.key"},
		{"not a database", []string{"--memory", notDB}, "notdb.db"},
		{"shared without a key", []string{"--shared", "redis://127.0.0.1:1/0"}, "--memory-key"},
		{"Redis unreachable", []string{"--shared", "redis://user:s3cret@127.0.0.1:1/0", "--memory-key", otherKey}, "127.0.0.1:1"},
		{"retain shorter than reuse", []string{"--memory", good, "--retain", "1h", "--reuse-within", "2h"}, "--retain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := sim.Stats().Requests
			args := append(append([]string{"verify", "--endpoint", url, "--quiet", "--out", filepath.Join(dir, "out.csv")}, c.args...), input)
			_, stderr, code := runApp(t, context.Background(), args...)
			if code != exitFatal || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want 1 naming %q:\n%s", code, c.want, stderr)
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("the Redis password was printed:\n%s", stderr)
			}
			if got := sim.Stats().Requests - before; got != 0 {
				t.Errorf("%d requests sent", got)
			}
		})
	}
}

// --simulate uses no memory unless --memory is given; with it, a second
// simulated run (another simulator, another port) reuses the first's
// answers.
func TestMemorySimulate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_STATE_HOME", "")
	input := writeList(t, dir, 20)
	run := func(out string, more ...string) batch.Report {
		t.Helper()
		rep := filepath.Join(dir, out+".json")
		args := append([]string{"verify", "--simulate", "--quiet", "--out", filepath.Join(dir, out), "--report", rep}, more...)
		if _, stderr, code := runApp(t, context.Background(), append(args, input)...); code != exitOK && code != exitRowErrors {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		return fake.ReadReport(t, rep)
	}
	run("demo.csv")
	if _, err := os.Stat(filepath.Join(dir, ".local", "state", "bankcard4e")); err == nil {
		t.Error("a --simulate run without --memory made the default memory")
	}
	mem := filepath.Join(dir, "sim-memory.db")
	first := run("one.csv", "--memory", mem)
	second := run("two.csv", "--memory", mem)
	if first.Calls == 0 || second.Reused == 0 || second.Calls >= first.Calls {
		t.Errorf("first run %d calls; second %d calls, %d reused: want the second answered from the memory", first.Calls, second.Calls, second.Reused)
	}
}
