package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// A list with more rows than the .xlsx output holds is refused; the same
// list with a .csv output, or a list that fits, passes.
func TestFitsXLSX(t *testing.T) {
	tests := []struct {
		out     string
		rows    int
		wantErr bool
	}{
		{"out.xlsx", 11, true},
		{"out.csv", 11, false},
		{"out.xlsx", 10, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.out, tt.rows), func(t *testing.T) {
			p := &Plan{Input: "list.csv", Out: tt.out}
			err := fitsXLSX(p, tt.rows, 10)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "out.csv") {
				t.Errorf("the error does not say to write .csv: %v", err)
			}
		})
	}
}

// A cell longer than an .xlsx cell holds is refused for an .xlsx output,
// naming the line and pointing to .csv; characters count, not bytes.
func TestCellsFitXLSX(t *testing.T) {
	tests := []struct {
		name, out, cell string
		wantErr         bool
	}{
		{"long cell, xlsx", "out.xlsx", strings.Repeat("x", 11), true},
		{"long cell, csv", "out.csv", strings.Repeat("x", 11), false},
		{"at the limit", "out.xlsx", strings.Repeat("x", 10), false},
		{"ten characters, thirty bytes", "out.xlsx", strings.Repeat("张", 10), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{Input: "list.csv", Out: tt.out}
			err := cellsFitXLSX(p, batch.Row{Line: 7, Cells: []string{"a", tt.cell}}, 10)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "line 7") || !strings.Contains(err.Error(), "--out out.csv")) {
				t.Errorf("the error does not name the line and the .csv output: %v", err)
			}
		})
	}
}

// The rules for an existing output (SPEC section 2).
func TestRefuseRerun(t *testing.T) {
	tests := []struct {
		name      string
		plan      Plan
		e         earlier
		wantInErr string // "" → allowed
	}{
		{"no output", Plan{}, earlier{}, ""},
		{"journal resumes", Plan{}, earlier{exists: true, journal: true}, ""},
		{"same input finished", Plan{}, earlier{exists: true, same: true, finished: "2026-01-01 10:00", exitCode: "0"}, "--fresh"},
		{"same input, exit 2", Plan{}, earlier{exists: true, same: true, exitCode: "2"}, "exit 2"},
		{"same input --fresh", Plan{Fresh: true}, earlier{exists: true, same: true}, ""},
		{"same input simulated", Plan{Simulated: true}, earlier{exists: true, same: true}, ""},
		{"other file", Plan{}, earlier{exists: true}, "--force"},
		{"other file --fresh", Plan{Fresh: true}, earlier{exists: true}, "--force"},
		{"other file simulated", Plan{Simulated: true}, earlier{exists: true}, "--force"},
		{"other file --force", Plan{Force: true}, earlier{exists: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.plan.Input, tt.plan.Out = "list.csv", "out.xlsx"
			err := refuseRerun(&tt.plan, tt.e)
			switch {
			case tt.wantInErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantInErr != "" && err == nil:
				t.Errorf("allowed, want a refusal saying %q", tt.wantInErr)
			case err != nil && (!strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "no call was sent")):
				t.Errorf("refusal %q does not say %q and that no call was sent", err, tt.wantInErr)
			}
		})
	}
}

// Each abort code gets its own hint; a service abort's hint follows the
// service's error code.
func TestAbortHint(t *testing.T) {
	tests := []struct {
		code    batch.AbortCode
		service string
		want    string
	}{
		{batch.AbortService, "AuthFailure.SignatureExpire", "clock"},
		{batch.AbortService, "AuthFailure.TokenFailure", "session token"},
		{batch.AbortService, "AuthFailure.SecretIdNotFound", "SecretId/SecretKey"},
		{batch.AbortService, "UnauthorizedOperation.Arrears", "arrears"},
		{batch.AbortService, "UnauthorizedOperation.Nonactivated", "not activated"},
		{batch.AbortService, "UnauthorizedOperation.Other", "permissions"},
		{batch.AbortService, "UnsupportedRegion", "--region"},
		{batch.AbortService, "InvalidAction", "--endpoint"},
		{batch.AbortBreaker, "", "failing"},
		{batch.AbortBudget, "", "--max-charged"},
		{batch.AbortSharedLost, "", "shared"},
		{batch.AbortBreaker, "UnauthorizedOperation.Arrears", "failing"}, // the code decides, not the text
	}
	for _, tt := range tests {
		if got := abortHint(tt.code, tt.service); !strings.Contains(got, tt.want) {
			t.Errorf("abortHint(%s, %s) = %q, want it to say %q", tt.code, tt.service, got, tt.want)
		}
	}
	if got := abortHint(batch.AbortService, "SomethingElse"); got != "" {
		t.Errorf("unknown service code: hint %q", got)
	}
}

// The exit code of a finished run, with the signal taken from the
// cancellation cause as a value.
func TestRunExitCode(t *testing.T) {
	cancelled := func(cause error) context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		return ctx
	}
	tests := []struct {
		name string
		ctx  context.Context
		rep  batch.Report
		want int
	}{
		{"clean", context.Background(), batch.Report{}, ExitOK},
		{"row errors", context.Background(), batch.Report{Errors: 1}, ExitRowErrors},
		{"not attempted", context.Background(), batch.Report{NotAttempted: 1}, ExitRowErrors},
		{"deferred", context.Background(), batch.Report{Deferred: 1}, ExitRowErrors},
		{"aborted", context.Background(), batch.Report{Aborted: true, Errors: 1}, ExitAborted},
		{"SIGINT", cancelled(Signal{Sig: os.Interrupt}), batch.Report{Interrupted: true}, ExitInterrupted},
		{"SIGTERM", cancelled(Signal{Sig: syscall.SIGTERM}), batch.Report{Interrupted: true}, ExitTerminated},
		{"cancelled without a signal", cancelled(errors.New("test")), batch.Report{Interrupted: true}, ExitInterrupted},
	}
	for _, tt := range tests {
		if got := runExitCode(tt.ctx, &tt.rep); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := ExitCode(nil, errors.New("x")); got != ExitFatal {
		t.Errorf("ExitCode of an error = %d", got)
	}
}
