package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/job"
)

// checkRun runs the CLI with args and returns stdout, stderr and the error.
func checkRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).Run(append([]string{"bankcard4e"}, args...))
	return stdout.String(), stderr.String(), err
}

func TestCheckSamples(t *testing.T) {
	tests := []struct {
		file                                           string
		rows, blank, valid, invalid, duplicates, calls int
		reasons                                        map[string]int
		listed                                         []string
	}{
		{
			file: "customers.csv", rows: 26, blank: 1, valid: 18, invalid: 8, duplicates: 2, calls: 16,
			reasons: map[string]int{
				"idcard: wrong check character": 1, "idcard: first-generation 15-digit ID": 1,
				"idcard: birth date is not a real date": 1, "bankcard: wrong length": 1,
				"phone: not a mainland mobile number": 1, "name: empty": 1, "name: contains a digit": 1,
				"certtype: unsupported": 1,
			},
			listed: []string{"row 19: idcard: wrong check character (is 0, want 7)", "row 26: certtype: unsupported"},
		},
		{
			file: "customers-gbk.csv", rows: 13, blank: 1, valid: 11, invalid: 2, duplicates: 1, calls: 10,
			reasons: map[string]int{"idcard: wrong check character": 1, "bankcard: wrong length": 1},
			listed:  []string{"row 13: idcard: wrong check character", "row 14: bankcard: wrong length (9 digits, want 12 to 19)"},
		},
		{
			file: "customers.xlsx", rows: 11, blank: 1, valid: 8, invalid: 3, duplicates: 1, calls: 7,
			reasons: map[string]int{
				"idcard: stored as a number, and Excel keeps only 15 significant digits": 1,
				"idcard: wrong check character":                                          1, "idcard: first-generation 15-digit ID": 1,
			},
			listed: []string{"row 11: idcard: stored as a number, and Excel keeps only 15 significant digits (format the column as Text and re-enter it)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			input := filepath.Join("samples", tt.file)
			report := filepath.Join(t.TempDir(), "check.json")
			out, _, err := checkRun(t, "check", "--price", "1.5", "--report", report, input)
			if err != nil {
				t.Fatalf("check: %v (exit %d)", err, exitCode(err))
			}
			var got job.CheckReport
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.Rows != tt.rows || got.Blank != tt.blank || got.Valid != tt.valid || got.Invalid != tt.invalid || got.Duplicates != tt.duplicates || got.Calls != tt.calls {
				t.Errorf("report rows %d blank %d valid %d invalid %d duplicates %d calls %d; want %d %d %d %d %d %d",
					got.Rows, got.Blank, got.Valid, got.Invalid, got.Duplicates, got.Calls, tt.rows, tt.blank, tt.valid, tt.invalid, tt.duplicates, tt.calls)
			}
			if fmt.Sprint(got.InvalidByReason) != fmt.Sprint(tt.reasons) {
				t.Errorf("invalid_by_reason = %v, want %v", got.InvalidByReason, tt.reasons)
			}
			if got.MaxSeconds != float64(tt.calls)/20 || got.MaxCost == nil || *got.MaxCost != float64(tt.calls)*1.5 {
				t.Errorf("max_seconds %v, max_cost %v", got.MaxSeconds, got.MaxCost)
			}
			for _, want := range append([]string{
				fmt.Sprintf("rows:                %d\n", tt.rows),
				fmt.Sprintf("valid:               %d\n", tt.valid),
				fmt.Sprintf("duplicates:          %d\n", tt.duplicates),
				fmt.Sprintf("calls to make:       %d\n", tt.calls),
				fmt.Sprintf("highest cost:        %.2f", float64(tt.calls)*1.5),
			}, tt.listed...) {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for reason, n := range tt.reasons {
				if !strings.Contains(out, fmt.Sprintf("  %s: %d\n", reason, n)) {
					t.Errorf("output lacks reason %q", reason)
				}
			}
			// Never a full identifier on the console or in the report.
			for _, id := range []string{"6222023416721109", "110101198503129492", "16689915737", "420102199506084561", "14290900744"} {
				if strings.Contains(out, id) || strings.Contains(string(data), id) {
					t.Errorf("output or report shows %s…", id[:4])
				}
			}
		})
	}
}

func TestCheckReportFile(t *testing.T) {
	input := filepath.Join("samples", "customers.csv")
	report := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(report, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := checkRun(t, "check", "--report", report, input); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	var m map[string]any
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"input", "input_sha256", "rows", "blank", "valid", "invalid", "invalid_by_reason", "duplicates", "calls", "max_seconds", "max_cost"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if m["max_cost"] != nil {
		t.Errorf("max_cost = %v without --price, want null", m["max_cost"])
	}
	raw, _ := os.ReadFile(input)
	sum := sha256.Sum256(raw)
	if m["input_sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("input_sha256 = %v", m["input_sha256"])
	}
}

func TestCheckOptions(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "odd.csv")
	data := "\"Full name, as on card\",Account,Tel,Doc\n张伟,6222023416721109,16689915737,110101198503129492\n"
	if err := os.WriteFile(csv, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := checkRun(t, "check", "--qps", "0.5",
		"--column", "name=Full name, as on card", "--column", "bankcard=Account", "--column", "phone=Tel", "--column", "idcard=Doc", csv)
	if err != nil {
		t.Fatalf("check with --column: %v", err)
	}
	if !strings.Contains(out, "valid:               1\n") || !strings.Contains(out, "longest at 0.5/s:    2s") {
		t.Errorf("output:\n%s", out)
	}
	if _, _, err := checkRun(t, "check", "--column", "email=Mail", csv); exitCode(err) != exitFatal {
		t.Errorf("unknown --column field: exit %d, want 1", exitCode(err))
	}
	// --no-precheck counts rows failing the format checks as calls.
	out, _, err = checkRun(t, "check", "--no-precheck", filepath.Join("samples", "customers.csv"))
	if err != nil || !strings.Contains(out, "calls to make:       24\n") {
		t.Errorf("--no-precheck: %v\n%s", err, out)
	}
	// --sheet picks a sheet; one without a header makes the file unusable.
	out, _, err = checkRun(t, "check", "--sheet", "名单", filepath.Join("samples", "customers.xlsx"))
	if err != nil || !strings.Contains(out, "rows:                11\n") {
		t.Errorf("--sheet 名单: %v\n%s", err, out)
	}
	if _, _, err := checkRun(t, "check", "--sheet", "说明", filepath.Join("samples", "customers.xlsx")); exitCode(err) != exitFatal {
		t.Errorf("--sheet 说明: exit %d, want 1", exitCode(err))
	}
}

func TestCheckListsInvalidRowsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,BankCard,Phone,IdCard\n")
	for i := 0; i < 25; i++ {
		b.WriteString("张伟,123,16689915737,110101198503129492\n")
	}
	p := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := checkRun(t, "check", p)
	if err != nil {
		t.Fatalf("a file of invalid rows is usable: %v", err)
	}
	if n := strings.Count(out, "  row "); n != 20 {
		t.Errorf("%d rows listed, want 20", n)
	}
	if !strings.Contains(out, "… and 5 more") || !strings.Contains(out, "row 21: bankcard: wrong length (3 digits, want 12 to 19)") {
		t.Errorf("output:\n%s", out)
	}
}

func TestCheckUnusableFile(t *testing.T) {
	dir := t.TempDir()
	headerless := filepath.Join(dir, "headerless.csv")
	os.WriteFile(headerless, []byte("张伟,6222023416721109,16689915737,110101198503129492\n"), 0o600)
	xls := filepath.Join(dir, "list.xls")
	os.WriteFile(xls, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), 0o600)
	tests := []struct {
		name string
		args []string
		say  []string
	}{
		{"missing", []string{filepath.Join(dir, "missing.csv")}, []string{"missing.csv"}},
		{"xls", []string{xls}, []string{"list.xls", "save it as .xlsx or .csv"}},
		{"no header", []string{headerless}, []string{"headerless.csv", "no header row"}},
		{"no input", nil, []string{"INPUT"}},
		{"bad qps", []string{"--qps", "0", headerless}, []string{"--qps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := checkRun(t, append([]string{"check"}, tt.args...)...)
			if exitCode(err) != exitFatal {
				t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
			}
			for _, s := range tt.say {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "6222023416721109") || strings.Contains(out, "6222023416721109") {
				t.Errorf("a card number was shown: %v", err)
			}
		})
	}
}
