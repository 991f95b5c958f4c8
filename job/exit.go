package job

import (
	"context"
	"errors"
	"os"
	"syscall"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Exit codes of SPEC section 2.
const (
	ExitOK          = 0
	ExitFatal       = 1   // nothing or not everything could run: bad options, unreadable input, unwritable output, a refused rerun, a failed run
	ExitRowErrors   = 2   // the run finished, but some rows ended in error, were deferred or not attempted
	ExitAborted     = 3   // the service refused the account, or the circuit breaker stopped the run
	ExitInterrupted = 130 // SIGINT
	ExitTerminated  = 143 // SIGTERM
)

// Signal is the cancellation cause a signal handler passes to
// context.WithCancelCause, so that the run's exit code says which signal
// stopped it.
type Signal struct{ Sig os.Signal }

func (s Signal) Error() string { return "interrupted by " + s.Sig.String() }

// ExitCode is the process exit code of Run's result: 1 for an error,
// otherwise the code the run recorded in its report.
func ExitCode(rep *batch.Report, err error) int {
	if err != nil || rep == nil {
		return ExitFatal
	}
	return rep.ExitCode
}

// runExitCode is the exit code of a run that finished without failing.
func runExitCode(ctx context.Context, rep *batch.Report) int {
	switch {
	case rep.Aborted:
		return ExitAborted
	case rep.Interrupted:
		var s Signal
		if errors.As(context.Cause(ctx), &s) && s.Sig == syscall.SIGTERM {
			return ExitTerminated
		}
		return ExitInterrupted
	case rep.Errors > 0 || rep.NotAttempted > 0 || rep.Deferred > 0:
		return ExitRowErrors
	}
	return ExitOK
}
