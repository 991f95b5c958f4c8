package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/csv"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"github.com/bankcard4e/bankcard4e/writer"
)

// Issue 12: a simulator that echoes each request's fields in Description
// and Error.Message; none of the list's names, IDs, cards or phones reaches
// the journal (kept: some rows end in error), the report, the metrics, the
// workbook (every XML part, masked) or the console.
func TestEchoedFieldsReachNoOutput(t *testing.T) {
	dir := t.TempDir()
	input := writeMixedList(t, dir, 60)
	ns := withHashes(personalData(t, input))
	_, url := startSim(t, simulator.Config{Faults: simulator.Faults{Echo: true}, Inject: errorSome})
	out := filepath.Join(dir, "out.xlsx")
	report, metrics := filepath.Join(dir, "r.json"), filepath.Join(dir, "m.prom")
	stdout, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "500", "--workers", "4",
		"--mask", "--out", out, "--report", report, "--metrics", metrics, "--price", "0.5", "--currency", "CNY", input)
	if code != exitRowErrors {
		t.Fatalf("exit %d, want %d (error rows keep the journal):\n%s", code, exitRowErrors, stderr)
	}
	expectNone(t, "console", []byte(stdout+stderr), ns)
	for name, path := range map[string]string{"journal": out + ".journal", "report": report, "metrics": metrics} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		expectNone(t, name, data, ns)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	parts := zipParts(t, data)
	if len(parts) < 3 {
		t.Fatalf("the workbook has %d parts", len(parts))
	}
	for name, b := range parts {
		expectNone(t, "workbook part "+name, b, ns)
	}
	// The echo was there, and scrubbed: a Description holds the scrubber's
	// stars where the simulator repeated the fields.
	wb, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Results")
	if err != nil || len(rows) < 2 {
		t.Fatalf("Results: %d rows, %v", len(rows), err)
	}
	desc, scrubbed := slices.Index(rows[0], "Description"), 0
	for _, r := range rows[1:] {
		if desc >= 0 && desc < len(r) && strings.Contains(r[desc], "***") {
			scrubbed++
		}
	}
	if scrubbed == 0 {
		t.Error("no Description shows a scrubbed echo: the simulator did not echo, so the scan proves little")
	}
}

// Issue 12: answers that carry a Result and an Error together are billed;
// what the simulator charged lies within what the report says was charged
// and possibly charged.
func TestResultAndErrorCharges(t *testing.T) {
	sim, url := startSim(t, simulator.Config{Faults: simulator.Faults{ResultAndError: 0.2}, Seed: 7})
	dir := t.TempDir()
	v := verifyRun{dir: dir, input: writeList(t, dir, 300), url: url, extra: []string{"--workers", "4"}}
	stderr, code := v.run(t)
	if code != exitOK && code != exitRowErrors {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	rep := fake.ReadReport(t, v.report())
	st := sim.Stats()
	if st.ResultAndError == 0 {
		t.Fatal("the simulator answered no Result and Error together: the test proves nothing")
	}
	if st.Charged < rep.Charged || st.Charged > rep.Charged+rep.PossiblyCharged {
		t.Errorf("simulator charged %d, report charged %d + possibly %d", st.Charged, rep.Charged, rep.PossiblyCharged)
	}
}

// Issue 12: cells that a spreadsheet would run as formulas, in an extra
// column, come out of a CSV output escaped and read back as the same text
// through writer.CSVReader (the documented un-escaping).
func TestCSVOutputFormulaCellsReadBack(t *testing.T) {
	dir := t.TempDir()
	hostile := []string{"=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"}
	var b strings.Builder
	b.WriteString("Name,BankCard,Phone,IdCard,Note\n")
	for i, h := range hostile {
		p := person(i)
		b.WriteString(p.Name + "," + p.BankCard + "," + p.Phone + "," + p.IDCard + ",\"" + h + "\"\n")
	}
	input := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, url := startSim(t, simulator.Config{})
	out := filepath.Join(dir, "out.csv")
	if _, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--quiet", "--out", out, input); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rawRecs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range rawRecs[1:] {
		cell := rec[slices.Index(rawRecs[0], "Note")]
		if cell == "" || strings.ContainsAny(cell[:1], "=+-@\t\r") {
			t.Errorf("the raw CSV Note cell %q is empty or starts with a formula character", cell)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := writer.NewCSVReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range head {
		if h == "Note" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no Note column in %q", head)
	}
	for i, want := range hostile {
		rec, err := r.Read()
		if err != nil {
			t.Fatalf("row %d: %v", i+1, err)
		}
		if rec[col] != want {
			t.Errorf("row %d Note read back %q, want %q", i+1, rec[col], want)
		}
	}
}

// Issue 16: verify --simulate --encrypt --encryption-algorithm SM4-GCM on
// the sample list gives the answers of the plain run.
func TestSimulateSM4MatchesPlain(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	run := func(name string, extra ...string) [][]string {
		out := filepath.Join(dir, name+".csv")
		args := append([]string{"verify", "--simulate", "--quiet", "--qps", "200", "--out", out}, extra...)
		_, stderr, code := runApp(t, context.Background(), append(args, "samples/customers.csv")...)
		if code != exitOK && code != exitRowErrors {
			t.Fatalf("%s: exit %d:\n%s", name, code, stderr)
		}
		return fake.ReadCSV(t, out)
	}
	plain := run("plain")
	sm4 := run("sm4", "--encrypt", "--encryption-algorithm", "SM4-GCM")
	sameAnswers(t, plain, sm4)
}

// Issue 16: an RSA key given for SM4-GCM is refused, exit 1, before any
// call.
func TestWrongKindOfKeyRefused(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	v := verifyRun{dir: dir, input: writeList(t, dir, 10), url: url}
	stderr, code := v.run(t, "--encrypt", "--encryption-algorithm", "SM4-GCM", "--encryption-key", key)
	if code != exitFatal {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "--encryption-key") || !strings.Contains(stderr, "SM4-GCM") {
		t.Errorf("the refusal does not name the key and the algorithm:\n%s", stderr)
	}
	if n := sim.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent before the refusal", n)
	}
}

// Issue 15: the final summary leads with the verdicts, shows the currency
// next to every cost, and says each message once: the abort, the rerun
// hint, the sheet and header row read.
func TestConsoleSummaryOnce(t *testing.T) {
	_, url := startSim(t, simulator.Config{Faults: simulator.Faults{ArrearsAfter: 5}})
	dir := t.TempDir()
	v := verifyRun{dir: dir, input: writeList(t, dir, 40), url: url, extra: []string{"--workers", "2", "--price", "0.5", "--currency", "CNY"}}
	stderr, code := v.run(t)
	if code != exitAborted {
		t.Fatalf("exit %d, want %d:\n%s", code, exitAborted, stderr)
	}
	lower := strings.ToLower(stderr)
	for _, want := range []string{"read header row 1", "run aborted", "rerun the same command", "by verdict"} {
		if n := strings.Count(lower, want); n != 1 {
			t.Errorf("stderr says %q %d times, want once:\n%s", want, n, stderr)
		}
	}
	verdicts, charged := strings.Index(stderr, "by verdict"), strings.Index(stderr, "charged ")
	if verdicts < 0 || charged < verdicts {
		t.Errorf("the verdicts do not come before the charges:\n%s", stderr)
	}
	costs := 0
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "cost") || strings.Contains(line, "at most") {
			costs++
			if strings.Count(line, "CNY") < 1 {
				t.Errorf("a cost without its currency: %q", line)
			}
		}
	}
	if costs == 0 {
		t.Errorf("no cost line:\n%s", stderr)
	}
	rep := fake.ReadReport(t, v.report())
	if rep.Currency != "CNY" {
		t.Errorf("report currency %q, want CNY", rep.Currency)
	}
}

// Issue 16, on the wire: with --encryption-algorithm SM4-GCM and the
// simulator's SM2 key every request says Algorithm SM4-GCM and carries no
// field in the clear, and the answers are the plain run's.
func TestSM4OnTheWire(t *testing.T) {
	sim, _ := startSim(t, simulator.Config{})
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "sm2.pem")
	if err := os.WriteFile(key, sim.SM2PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	input := writeList(t, dir, 20)
	run := func(name string, extra ...string) [][]string {
		out := filepath.Join(dir, name+".csv")
		// --no-memory: the second run must call, not reuse the first's answers.
		args := append([]string{"verify", "--endpoint", srv.URL, "--quiet", "--qps", "500", "--no-memory", "--out", out}, extra...)
		if _, stderr, code := runApp(t, context.Background(), append(args, input)...); code != exitOK {
			t.Fatalf("%s: exit %d:\n%s", name, code, stderr)
		}
		return fake.ReadCSV(t, out)
	}
	plain := run("plain")
	mu.Lock()
	bodies = nil
	mu.Unlock()
	sm4 := run("sm4", "--encrypt", "--encryption-algorithm", "sm4-gcm", "--encryption-key", key)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) == 0 {
		t.Fatal("no request seen")
	}
	p := person(0)
	for _, b := range bodies {
		if !strings.Contains(b, `"SM4-GCM"`) {
			t.Errorf("a request without Algorithm SM4-GCM: %.200s", b)
		}
		if strings.Contains(b, p.IDCard) || strings.Contains(b, p.BankCard) {
			t.Errorf("a request carries a field in the clear")
		}
	}
	sameAnswers(t, plain, sm4)
}

// sameAnswers checks that two outputs of one list hold the same answers:
// every column but the answer's time and RequestId.
func sameAnswers(t *testing.T, a, b [][]string) {
	t.Helper()
	if len(a) != len(b) || len(a) < 2 || !slices.Equal(a[0], b[0]) {
		t.Fatalf("outputs of %d and %d rows, headers %q and %q", len(a), len(b), a[0], b[0])
	}
	for _, col := range []string{"Status", "Verdict", "Result", "Description", "Charged", "Error"} {
		j := slices.Index(a[0], col)
		if j < 0 {
			t.Fatalf("no %s column in %q", col, a[0])
		}
		for i := 1; i < len(a); i++ {
			if a[i][j] != b[i][j] {
				t.Errorf("row %d %s: %q, then %q", i, col, a[i][j], b[i][j])
			}
		}
	}
}
