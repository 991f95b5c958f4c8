package job

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// countingVerifier answers every call "0", charged, and counts the calls.
type countingVerifier struct{ calls atomic.Int64 }

func (v *countingVerifier) Verify(context.Context, batch.Fields) batch.Answer {
	v.calls.Add(1)
	return batch.Answer{Class: batch.ClassCharged, Result: "0", Description: "Authentication passed", RequestID: "req"}
}

// abortingVerifier refuses the account, as an arrears answer does.
type abortingVerifier struct{}

func (abortingVerifier) Verify(context.Context, batch.Fields) batch.Answer {
	return batch.Answer{Class: batch.ClassAbort, Code: "UnauthorizedOperation.Arrears", Message: "in arrears"}
}

func samplePlan(t *testing.T, v batch.Verifier) Plan {
	t.Helper()
	dir := t.TempDir()
	input := filepath.Join(dir, "customers.csv")
	data, err := os.ReadFile(filepath.Join("..", "samples", "customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return Plan{Input: input, Verifier: v, Version: "test", Endpoint: "test", Batch: batch.Config{Workers: 2}}
}

// Every check that can fail does so before the first call.
func TestRunRefusesBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, p *Plan)
		want  string
	}{
		{"metrics in a missing dir", func(t *testing.T, p *Plan) { p.Metrics = filepath.Join(t.TempDir(), "nope", "m.prom") }, "m.prom"},
		{"report in a missing dir", func(t *testing.T, p *Plan) { p.Report = filepath.Join(t.TempDir(), "nope", "r.json") }, "r.json"},
		{"unrelated output", func(t *testing.T, p *Plan) {
			p.Out = filepath.Join(t.TempDir(), "notes.csv")
			os.WriteFile(p.Out, []byte("keep me\n"), 0o600)
		}, "--force"},
		{"output is the input", func(t *testing.T, p *Plan) { p.Out = p.Input }, "is the input"},
		{"output not .xlsx or .csv", func(t *testing.T, p *Plan) { p.Out = p.Input + ".txt" }, ".xlsx or .csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &countingVerifier{}
			p := samplePlan(t, v)
			tt.setup(t, &p)
			rep, err := Run(context.Background(), p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ExitCode(rep, err) != ExitFatal {
				t.Fatalf("Run = %v, want an error saying %q", err, tt.want)
			}
			if n := v.calls.Load(); n != 0 {
				t.Errorf("%d calls sent", n)
			}
		})
	}
}

// A clean run writes the output and the side files, deletes its journal
// and its locks, and exits 0; the summary goes to the console.
func TestRunWritesOutputs(t *testing.T) {
	v := &countingVerifier{}
	p := samplePlan(t, v)
	dir := filepath.Dir(p.Input)
	var console bytes.Buffer
	p.Console, p.Report, p.Metrics = &console, filepath.Join(dir, "r.json"), filepath.Join(dir, "m.prom")
	rep, err := Run(context.Background(), p)
	if err != nil || ExitCode(rep, err) != ExitOK {
		t.Fatalf("Run: %v, exit %d\n%s", err, ExitCode(rep, err), console.String())
	}
	if v.calls.Load() == 0 || rep.Charged == 0 || rep.InputSHA256 == "" {
		t.Errorf("report %+v after %d calls", rep, v.calls.Load())
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "customers.csv customers.results.xlsx m.prom r.json" {
		t.Errorf("files left: %v", names)
	}
	if !strings.Contains(console.String(), "charged") {
		t.Errorf("no summary on the console:\n%s", console.String())
	}
}

// An abort answer stops the run with exit 3, the structured code, and the
// hint its service code calls for.
func TestRunAbortHint(t *testing.T) {
	p := samplePlan(t, abortingVerifier{})
	rep, err := Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if ExitCode(rep, err) != ExitAborted || rep.AbortCode != batch.AbortService || !strings.Contains(rep.AbortReason, "top it up") {
		t.Errorf("exit %d, code %q, reason %q", ExitCode(rep, err), rep.AbortCode, rep.AbortReason)
	}
}

// The pass before the first call finds the repeated rows (SPEC 3: the run
// keeps answers only for those): with two copies of C0012 — one spelled
// with spaces in the card — and one of C0013 appended, Repeats holds two
// rows more than for the sample, and the run sends each distinct row once
// and marks the copies duplicate.
func TestRunFindsRepeatsBeforeTheFirstCall(t *testing.T) {
	v := &countingVerifier{}
	p := samplePlan(t, v)
	extra := "C0012b,郭静,6214 8302 1234 5678,17712345678,370102199209090047,,Jinan\n" +
		"C0012c,郭静,6214830212345678,17712345678,370102199209090047,,Jinan\n" +
		"C0013b,林涛,6227001234567890123,18898765432,350102198501013315,,Fuzhou\n"
	f, err := os.OpenFile(p.Input, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(extra); err != nil {
		t.Fatal(err)
	}
	f.Close()

	base := &countingVerifier{}
	bp := samplePlan(t, base)
	bs, err := scan(&bp)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scan(&p)
	if err != nil {
		t.Fatal(err)
	}
	if s.repeats == nil || s.repeats.Len() != bs.repeats.Len()+2 {
		t.Fatalf("scan found %d repeated rows, want the sample's %d and C0012, C0013", s.repeats.Len(), bs.repeats.Len())
	}
	brep, err := Run(context.Background(), bp)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicates != brep.Duplicates+3 || v.calls.Load() != base.calls.Load() {
		t.Errorf("%d duplicates and %d calls, want %d and the %d calls of the list without the copies", rep.Duplicates, v.calls.Load(), brep.Duplicates+3, base.calls.Load())
	}
}
