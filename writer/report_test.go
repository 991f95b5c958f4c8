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
		"duplicates", "invalid", "errors", "not_attempted", "calls", "charged", "free",
		"possibly_charged", "by_result", "by_error", "cost", "started_at", "finished_at",
		"aborted", "abort_reason", "exit_code"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	for k, want := range map[string]any{
		"rows":             8.0,
		"charged":          2.0,
		"possibly_charged": 2.0,
		"cost":             0.6,
		"max_cost":         1.2,
		"aborted":          true,
		"exit_code":        3.0,
		"started_at":       "2026-02-28T17:02:03Z",
		"by_result":        map[string]any{"0": 1.0, "-1": 1.0, "-4": 1.0, "-99": 1.0},
		"by_error":         map[string]any{},
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
	if err := WriteMetrics(path, ok, day1); err != nil {
		t.Fatal(err)
	}
	checkMode(t, path)
	got, _ := parseMetrics(t, path)
	want := map[string]float64{
		`bankcard4e_rows{status="verified"}`:             4,
		`bankcard4e_rows{status="duplicate"}`:            1,
		`bankcard4e_rows{status="invalid"}`:              1,
		`bankcard4e_rows{status="error"}`:                1,
		`bankcard4e_rows{status="not_attempted"}`:        1,
		`bankcard4e_rows{status="blank"}`:                2,
		`bankcard4e_results{code="0"}`:                   1,
		`bankcard4e_results{code="-1"}`:                  1,
		`bankcard4e_results{code="-4"}`:                  1,
		`bankcard4e_results{code="-99"}`:                 1,
		`bankcard4e_errors{code="InternalError"}`:        1,
		`bankcard4e_errors{code="RequestLimitExceeded"}`: 3,
		`bankcard4e_errors{code="Weird\"Code\\x\ny"}`:    1,
		`bankcard4e_calls_total`:                         9,
		`bankcard4e_charged`:                             2,
		`bankcard4e_free`:                                1,
		`bankcard4e_possibly_charged`:                    2,
		`bankcard4e_cost`:                                0.6,
		`bankcard4e_duration_seconds`:                    83.5,
		`bankcard4e_aborted`:                             0,
		`bankcard4e_exit_code`:                           0,
		`bankcard4e_last_run_timestamp_seconds`:          1_800_000_000,
		`bankcard4e_last_success_timestamp_seconds`:      1_800_000_000,
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

func TestSummaryText(t *testing.T) {
	rep := testReport()
	s := Summary(rep)
	for _, want := range []string{
		"run aborted: AuthFailure.SecretIdNotFound; rerun the same command to resume",
		"customers.xlsx",
		"rows              8 (blank rows skipped: 2)",
		"possibly charged  2",
		"cost              0.6 (2 charged × 0.3; at most 1.2)",
		"-99 ×1 (unknown)",
		"RequestLimitExceeded ×3",
		"1m24s (2026-02-28T17:02:03Z to 2026-02-28T17:03:26Z)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	rep.Aborted, rep.Price = false, nil
	s = Summary(rep)
	if strings.Contains(s, "cost") || !strings.Contains(s, "1 row ended in error") {
		t.Errorf("summary without price, with errors:\n%s", s)
	}
	if s := Summary(&batch.Report{}); !strings.HasPrefix(s, "bankcard4e: run finished\n") {
		t.Errorf("empty report summary:\n%s", s)
	}
}
