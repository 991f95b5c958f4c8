package job

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The most an .xlsx Results sheet holds: Excel's 1,048,576 rows less the
// header, and 32,767 characters in one cell.
const (
	xlsxMaxRows      = 1<<20 - 1
	xlsxMaxCellChars = 32767
)

// csvHint is the --out that writes the same output as .csv.
func csvHint(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".csv"
}

// fitsXLSX refuses an input of rows data rows when the output is an .xlsx
// sheet of at most limit rows: finding out at that row would leave a run
// that paid for every row before it without a workbook to show.
func fitsXLSX(p *Plan, rows, limit int) error {
	if !p.outIsXLSX() || rows <= limit {
		return nil
	}
	return fmt.Errorf("input %q has %d rows, more than the %d an .xlsx sheet holds: write the output as .csv (--out %s)",
		p.Input, rows, limit, csvHint(p.Out))
}

// cellsFitXLSX refuses a row with a cell longer than an .xlsx cell holds
// (limit characters) when the output is an .xlsx sheet: the cell would be
// cut, so the output would not show what the input said.
func cellsFitXLSX(p *Plan, row batch.Row, limit int) error {
	if !p.outIsXLSX() {
		return nil
	}
	for i, c := range row.Cells {
		if len(c) > limit && utf8.RuneCountInString(c) > limit {
			return fmt.Errorf("input %q line %d: column %d holds %d characters, more than the %d an .xlsx cell holds: write the output as .csv (--out %s)",
				p.Input, row.Line, i+1, utf8.RuneCountInString(c), limit, csvHint(p.Out))
		}
	}
	return nil
}

// earlier is what an existing output at Plan.Out is, as far as a rerun
// is concerned.
type earlier struct {
	exists   bool   // there is a file at Out
	journal  bool   // there is a journal: the rerun resumes
	same     bool   // the file is a result of this very input
	finished string // when that run finished, if it says (.xlsx)
	exitCode string // that run's exit code, if it says (.xlsx)
}

// refuseRerun applies the rules of SPEC section 2 for an existing output:
// a journal resumes; an earlier result of this input is not paid for again
// unless --fresh (or the simulator, which charges nothing); any other file
// is not overwritten unless --force.
func refuseRerun(p *Plan, e earlier) error {
	switch {
	case !e.exists || e.journal:
		return nil
	case e.same && (p.Fresh || p.Simulated || p.Memory.active()):
		// With the memory read, a rerun of a finished list is answered
		// from it: no row is paid for again within --reuse-within.
		return nil
	case e.same:
		state := "finished"
		if e.exitCode != "" && e.exitCode != "0" {
			state = "stopped (exit " + e.exitCode + ") and its journal is gone"
		}
		when := " (a result for every row)"
		if e.finished != "" || e.exitCode != "" {
			when = " (run " + state + " at " + e.finished + ")"
		}
		return fmt.Errorf("output %q already holds the results of this input%s and there is no journal to resume from; verifying again would charge its rows again: "+
			"pass --fresh to verify again anyway, or --out to write somewhere else; no call was sent", p.Out, when)
	case p.Force:
		return nil
	}
	return fmt.Errorf("output %q exists and is not a result of this input (%q); it was left as it is and no call was sent: "+
		"pass --force to replace it, or --out to write somewhere else", p.Out, p.Input)
}

// abortHint tells the user how to fix what stopped the run, from the
// structured abort code and, for a service abort, the service's error code.
func abortHint(code batch.AbortCode, service string) string {
	switch code {
	case batch.AbortBreaker:
		return " — the service is failing; rerun later to resume"
	case batch.AbortBudget:
		return " — rerun with a higher --max-charged to resume"
	case batch.AbortSharedLost:
		return " — the shared Redis (or the memory) was lost: rerun when it is back to resume"
	case batch.AbortService:
		return serviceHint(service)
	}
	return ""
}

// serviceHint is the fix for a service error code that aborts the run.
func serviceHint(code string) string {
	switch {
	case code == "AuthFailure.SignatureExpire":
		return " — this machine's clock is more than 5 minutes off; fix it (NTP) and rerun"
	case code == "AuthFailure.TokenFailure":
		return " — the session token is wrong or expired; get a new temporary credential and rerun"
	case strings.HasPrefix(code, "AuthFailure."):
		return " — the SecretId/SecretKey pair was refused; check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or the --profile credential, then rerun"
	case code == "UnauthorizedOperation.Arrears":
		return " — the account is in arrears; top it up first"
	case code == "UnauthorizedOperation.Nonactivated":
		return " — the faceid service is not activated for this account; activate it in the console and rerun"
	case strings.HasPrefix(code, "UnauthorizedOperation."), code == "FailedOperation.StsUnAuthErrError":
		return " — the account may not call this API; check its permissions and billing, then rerun"
	case code == "UnsupportedRegion":
		return " — the service is not offered in that region; change or drop --region"
	case code == "InvalidAction", code == "NoSuchVersion":
		return " — the endpoint does not offer BankCard4EVerification 2018-03-01; check --endpoint"
	}
	return ""
}
