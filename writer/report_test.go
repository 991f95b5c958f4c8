package writer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/google/go-cmp/cmp"
)

func TestWriteReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	rep := testReport()
	rep.ByError = nil // written as {}, not null
	if err := WriteReport(path, rep); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	// Every key of the example in SPEC section 8.
	for _, k := range []string{"input", "input_sha256", "rows", "blank", "verified",
		"reused", "deferred", "verdicts", "duplicates", "invalid", "errors", "not_attempted", "calls", "charged", "free",
		"possibly_charged", "by_result", "by_error", "cost", "started_at", "finished_at",
		"aborted", "abort_reason", "exit_code"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	for k, want := range map[string]any{
		"rows":             13.0,
		"charged":          4.0,
		"possibly_charged": 2.0,
		"cost":             1.2,
		"max_cost":         1.8,
		"aborted":          true,
		"exit_code":        3.0,
		"started_at":       "2026-02-28T17:02:03Z",
		"by_result":        map[string]any{"0": 1.0, "-1": 1.0, "-6": 1.0, "-13": 1.0, "-4": 1.0, "-18": 1.0, "-99": 1.0},
		"by_error":         map[string]any{},
		"retried_by_code":  map[string]any{"HTTP 502": 1.0, "RequestLimitExceeded": 3.0, "-18": 4.0},
		"reused":           1.0,
		"deferred":         1.0,
		"currency":         "CNY",
		"abort_code":       "service",
		"verdicts":         map[string]any{"pass": 0.0, "fail": 0.0, "card problem": 0.0, "rejected": 0.0, "retry later": 0.0, "unknown": 0.0},
	} {
		if diff := cmp.Diff(want, m[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}

	// Without a price, cost is null.
	rep.Price = nil
	if err := WriteReport(path, rep); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	m = nil
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m["cost"]; !ok || v != nil {
		t.Errorf("cost = %v (present %v), want null", v, ok)
	}
}

// parseMetrics reads a textfile: samples by "name{labels}", and the TYPE of
// every family.
func parseMetrics(t *testing.T, path string) (samples map[string]float64, types map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	samples, types = map[string]float64{}, map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			types[name] = typ
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		key := line[:i]
		if _, dup := samples[key]; dup {
			t.Errorf("sample %s twice", key)
		}
		samples[key] = v
		name, _, _ := strings.Cut(key, "{")
		if types[name] != "gauge" {
			t.Errorf("sample %s without # TYPE gauge", key)
		}
	}
	return samples, types
}

func TestWriteMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.prom")
	day1 := time.Unix(1_800_000_000, 0)
	day2 := day1.Add(24 * time.Hour)

	ok := testReport()
	ok.Aborted, ok.ExitCode = false, 0
	ok.ByError["Weird\"Code\\x\ny"] = 1
	ok.Verdicts = map[string]int{"pass": 3, "fail": 2, "card problem": 1, "rejected": 2, "retry later": 4}
	if err := WriteMetrics(path, ok, day1); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path)
	got, _ := parseMetrics(t, path)
	want := map[string]float64{
		`bankcard4e_rows{status="verified"}`:          7,
		`bankcard4e_rows{status="reused"}`:            1,
		`bankcard4e_rows{status="duplicate"}`:         1,
		`bankcard4e_rows{status="invalid"}`:           1,
		`bankcard4e_rows{status="deferred"}`:          1,
		`bankcard4e_rows{status="error"}`:             1,
		`bankcard4e_rows{status="not_attempted"}`:     1,
		`bankcard4e_rows{status="blank"}`:             2,
		`bankcard4e_verdicts{verdict="pass"}`:         3,
		`bankcard4e_verdicts{verdict="fail"}`:         2,
		`bankcard4e_verdicts{verdict="card problem"}`: 1,
		`bankcard4e_verdicts{verdict="rejected"}`:     2,
		`bankcard4e_verdicts{verdict="retry later"}`:  4,
		`bankcard4e_verdicts{verdict="unknown"}`:      0,
		`bankcard4e_results{code="0"}`:                1,
		`bankcard4e_results{code="-1"}`:               1,
		`bankcard4e_results{code="-4"}`:               1,
		`bankcard4e_results{code="-6"}`:               1,
		`bankcard4e_results{code="-13"}`:              1,
		`bankcard4e_results{code="-18"}`:              1,
		`bankcard4e_results{code="-99"}`:              1,
		`bankcard4e_errors{code="InternalError"}`:     1,
		`bankcard4e_errors{code="Weird\"Code\\x\ny"}`: 1,
		`bankcard4e_calls_total`:                      16,
		`bankcard4e_charged`:                          4,
		`bankcard4e_free`:                             2,
		`bankcard4e_possibly_charged`:                 2,
		`bankcard4e_cost`:                             1.2,
		`bankcard4e_duration_seconds`:                 83.5,
		`bankcard4e_aborted`:                          0,
		`bankcard4e_exit_code`:                        0,
		`bankcard4e_last_run_timestamp_seconds`:       1_800_000_000,
		`bankcard4e_last_success_timestamp_seconds`:   1_800_000_000,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("successful run (-want +got):\n%s", diff)
	}

	// A failed run the next day keeps the last success.
	bad := testReport()
	if err := WriteMetrics(path, bad, day2); err != nil {
		t.Fatal(err)
	}
	got, _ = parseMetrics(t, path)
	for k, v := range map[string]float64{
		`bankcard4e_last_success_timestamp_seconds`: 1_800_000_000,
		`bankcard4e_last_run_timestamp_seconds`:     float64(day2.Unix()),
		`bankcard4e_aborted`:                        1,
		`bankcard4e_exit_code`:                      3,
	} {
		if got[k] != v {
			t.Errorf("failed run: %s = %v, want %v", k, got[k], v)
		}
	}

	// A failed run with no earlier file knows no success.
	fresh := filepath.Join(t.TempDir(), "fresh.prom")
	if err := WriteMetrics(fresh, bad, day2); err != nil {
		t.Fatal(err)
	}
	got, _ = parseMetrics(t, fresh)
	if v, ok := got[lastSuccess]; !ok || v != 0 {
		t.Errorf("first failed run: %s = %v (present %v), want 0", lastSuccess, v, ok)
	}
}

func TestConsoleSummary(t *testing.T) {
	rep := testReport()
	rep.Verdicts = map[string]int{"pass": 3, "fail": 2, "card problem": 1, "rejected": 2, "retry later": 4, "unknown": 1}
	var b strings.Builder
	if err := ConsoleSummary(&b, rep, ConsoleOptions{Journal: "customers.journal"}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	// It leads with the verdicts, in reading order.
	want := []string{
		"bankcard4e: 13 rows by verdict",
		"  pass                   3   23.1%",
		"  fail                   2   15.4%",
		"  card problem           1    7.7%",
		"  rejected               2   15.4%",
		"  retry later            4   30.8%",
		"  unknown                1    7.7%",
		"  charged                4  cost 1.2 CNY (4 × 0.3 CNY)",
		"  possibly charged       2  at most 1.8 CNY in all",
	}
	if len(lines) < len(want) {
		t.Fatalf("summary too short:\n%s", s)
	}
	if diff := cmp.Diff(want, lines[:len(want)]); diff != "" {
		t.Errorf("head of the summary (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"  retried answers   -18 ×4, HTTP 502 ×1, RequestLimitExceeded ×3\n",
		"  rows in error     InternalError ×1\n",
		"  rows                  13  verified 7, reused 1, duplicates 1, invalid 1, deferred 1, errors 1, not attempted 1; blank rows skipped 2\n",
		"  duration          1m24s (2026-02-28 17:02:03 to 2026-02-28 17:03:26 UTC)\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	// Every cost carries the currency.
	for _, l := range lines {
		if strings.Contains(l, "cost") || strings.Contains(l, "at most") {
			if n, c := strings.Count(l, "."), strings.Count(l, "CNY"); c == 0 || c < n {
				t.Errorf("a cost without its currency: %q", l)
			}
		}
	}
	// The abort, with the hint to rerun, once, last.
	if got := lines[len(lines)-1]; got != "Run aborted: AuthFailure.SecretIdNotFound. Rerun the same command to resume (journal customers.journal); rows already answered are not sent again." {
		t.Errorf("last line %q", got)
	}
	for _, once := range []string{"abort", "rerun", "resume"} {
		if n := strings.Count(strings.ToLower(s), once); n != 1 {
			t.Errorf("%q %d times, want once:\n%s", once, n, s)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(*batch.Report)
		last string
	}{
		{"interrupted", func(r *batch.Report) { r.Aborted, r.Interrupted = false, true },
			"Run interrupted. Rerun the same command to resume (journal j); rows already answered are not sent again."},
		{"errors", func(r *batch.Report) { r.Aborted, r.NotAttempted = false, 0 },
			"Run finished; 1 row has no answer yet. Rerun the same command to try it again (journal j)."},
		{"deferred", func(r *batch.Report) { r.Aborted, r.Errors, r.NotAttempted = false, 0, 0 },
			"Run finished; 1 row was deferred by --max-per-card: a later run sends it."},
		{"complete", func(r *batch.Report) { r.Aborted, r.Errors, r.NotAttempted, r.Deferred = false, 0, 0, 0 },
			"Run finished: every row has its answer."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testReport()
			r.Verdicts = map[string]int{"pass": 1}
			tc.edit(r)
			var b strings.Builder
			if err := ConsoleSummary(&b, r, ConsoleOptions{Journal: "j"}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if got := lines[len(lines)-1]; got != tc.last {
				t.Errorf("last line %q, want %q", got, tc.last)
			}
			if n := strings.Count(strings.ToLower(b.String()), "rerun"); n > 1 {
				t.Errorf("rerun %d times:\n%s", n, b.String())
			}
		})
	}

	t.Run("no price, no verdicts", func(t *testing.T) {
		r := testReport()
		r.Price, r.Verdicts = nil, nil
		s := Summary(r)
		if strings.Contains(s, "CNY") || !strings.Contains(s, "charged                4  (no --price: cost not known)") {
			t.Errorf("summary without price:\n%s", s)
		}
		if !strings.HasPrefix(s, "bankcard4e: rows by verdict not counted\n") {
			t.Errorf("summary without verdicts:\n%s", s)
		}
	})
}
