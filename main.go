// Command bankcard4e bulk-checks customer lists against Tencent Cloud faceid
// BankCard4EVerification (name, bank card, mobile number, resident ID).
//
// main.go wires the packages together: flags → options → run, signals, and
// the mapping of errors to exit codes. Each command lives in its own cmd_*.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/internal/buildinfo"
	"github.com/bankcard4e/bankcard4e/job"
)

// The tool version, and the commit and build date when the build sets
// them (make build does, with -ldflags "-X main.commit=… -X main.date=…");
// otherwise the commit and its date come from what Go recorded.
var (
	version = "0.1.0-dev"
	commit  = ""
	date    = ""
)

// versionLine is what --version and `version` print.
func versionLine() string { return buildinfo.Line("bankcard4e", version, commit, date) }

// Exit codes of SPEC section 2 (job classifies a run's outcome).
const (
	exitOK          = job.ExitOK
	exitFatal       = job.ExitFatal
	exitRowErrors   = job.ExitRowErrors
	exitAborted     = job.ExitAborted
	exitInterrupted = job.ExitInterrupted
	exitTerminated  = job.ExitTerminated
)

// exitError carries an exit code through urfave/cli back to main.
type exitError struct {
	code int
	err  error // nil when the command already said everything it had to say
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// fatal is err with exit code 1, or nil.
func fatal(err error) error {
	if err == nil {
		return nil
	}
	return withCode(exitFatal, err)
}

// exitCode maps an error returned by the app to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFatal
}

// newApp builds the command-line application writing to stdout and stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, versionLine()) }
	return &cli.App{
		Name:                 "bankcard4e",
		Usage:                "bulk-check customer lists with Tencent Cloud faceid BankCard4EVerification",
		Version:              version,
		Writer:               stdout,
		ErrWriter:            stderr,
		HideVersion:          false,
		EnableBashCompletion: false,
		ExitErrHandler:       func(*cli.Context, error) {},
		Commands: []*cli.Command{
			verifyCommand(),
			checkCommand(),
			simulateCommand(),
			templateCommand(),
			memoryCommand(),
			{
				Name:  "version",
				Usage: "print the tool version",
				Action: func(c *cli.Context) error {
					fmt.Fprintln(c.App.Writer, versionLine())
					return nil
				},
			},
		},
	}
}

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cancel(job.Signal{Sig: sig})
		// A second signal ends the process at once.
		sig = <-sigs
		if sig == syscall.SIGTERM {
			os.Exit(exitTerminated)
		}
		os.Exit(exitInterrupted)
	}()
	err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	code := exitCode(err)
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		fmt.Fprintf(os.Stderr, "bankcard4e: %v\n", err)
	}
	os.Exit(code)
}
