package main

import (
	"context"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The Summary sheet's tally agrees with the Results rows it summarises.
func TestSummaryTallyMatchesResults(t *testing.T) {
	_, url := startSim(t, simulator.Config{}) // generated customers get the stable mix of codes
	dir := t.TempDir()
	input := writeList(t, dir, 120)
	out := filepath.Join(dir, "out.xlsx")
	if _, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "500", "--quiet", "--price", "0.5", "--out", out, input); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) < 2 || got[0] != "Results" || got[1] != "Summary" {
		t.Fatalf("sheets %v, want Results then Summary", got)
	}
	rows, err := f.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	h := rows[0]
	status, result, charged := fake.Column(t, h, "Status"), fake.Column(t, h, "Result"), fake.Column(t, h, "Charged")
	byCode := map[string]int{}
	billing := map[string]string{}
	counts := map[string]int{}
	chargedYes := 0
	for _, r := range rows[1:] {
		for len(r) < len(h) {
			r = append(r, "")
		}
		counts[r[status]]++
		if r[status] != "verified" {
			continue
		}
		byCode[r[result]]++
		billing[r[result]] = map[string]string{"yes": "charged", "no": "free", "unknown": "unknown"}[r[charged]]
		if r[charged] == "yes" {
			chargedYes++
		}
	}

	sum, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	tally := map[string]int{}
	inTally := false
	for _, r := range sum {
		if len(r) == 0 {
			inTally = false
			continue
		}
		if len(r) >= 2 {
			kv[r[0]] = r[1]
		}
		if r[0] == "Code" && len(r) >= 4 && r[3] == "Count" {
			inTally = true
			continue
		}
		if inTally && len(r) >= 4 {
			n, err := strconv.Atoi(r[3])
			if err != nil {
				t.Fatalf("tally row %v: count %q", r, r[3])
			}
			tally[r[0]] = n
			if billing[r[0]] != r[2] {
				t.Errorf("code %s is %q in the Summary, Results say %q", r[0], r[2], billing[r[0]])
			}
		}
	}
	if len(tally) < 3 {
		t.Fatalf("Summary tally has %d codes, want a mix: %v", len(tally), tally)
	}
	for code, n := range byCode {
		if tally[code] != n {
			t.Errorf("code %s: Summary %d, Results %d", code, tally[code], n)
		}
	}
	if len(tally) != len(byCode) {
		t.Errorf("Summary codes %v, Results codes %v", tally, byCode)
	}
	for label, want := range map[string]int{
		"Rows": len(rows) - 1, "Verified": counts["verified"], "Duplicates": counts["duplicate"],
		"Invalid": counts["invalid"], "Errors": counts["error"], "Charged": chargedYes,
	} {
		if kv[label] != strconv.Itoa(want) {
			t.Errorf("Summary %s = %q, Results count %d", label, kv[label], want)
		}
	}
	if want := strconv.FormatFloat(float64(chargedYes)*0.5, 'f', -1, 64); kv["Cost (charged × price)"] != want {
		t.Errorf("cost = %q, want %s", kv["Cost (charged × price)"], want)
	}
}
