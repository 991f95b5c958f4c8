package job

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/batch/journal"
	"github.com/bankcard4e/bankcard4e/internal/fileutil"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/writer"
)

// Run verifies every row of p.Input and returns the run's report, with
// ExitCode set. An error means the run could not start or failed (exit 1):
// every check that can fail before the first call does so with no call
// sent. Cancelling ctx interrupts the run (exit 130, or 143 when the cause
// is Signal{SIGTERM}).
func Run(ctx context.Context, plan Plan) (*batch.Report, error) {
	p := plan.withDefaults()
	if err := validate(&p); err != nil {
		return nil, err
	}
	j := &job{p: &p}
	defer j.release()
	if err := j.prepare(); err != nil {
		return nil, err
	}
	return j.run(ctx)
}

// job is one Run's state: what it holds until the end.
type job struct {
	p      *Plan
	lock   *fileutil.Lock
	tmpDir string
	in     *scanned
	jr     *journal.Journal
	state  *journal.State
}

// validate checks the options that need no file.
func validate(p *Plan) error {
	if p.Verifier == nil {
		return fmt.Errorf("verify %q: no service to call", p.Input)
	}
	switch strings.ToLower(filepath.Ext(p.Out)) {
	case ".xlsx", ".csv":
	default:
		return fmt.Errorf("--out %q: the output must be .xlsx or .csv", p.Out)
	}
	if samePath(p.Out, p.Input) {
		return fmt.Errorf("--out %q is the input file", p.Out)
	}
	return nil
}

// prepare does everything that can fail before the first call.
func (j *job) prepare() error {
	p := j.p
	for _, path := range []string{p.Out, p.Journal, p.Report, p.Metrics} {
		if path != "" {
			if err := fileutil.CheckWritable(path); err != nil {
				return fmt.Errorf("%w; no call was sent", err)
			}
		}
	}
	var err error
	// The journal has its own lock; this one covers the files two runs
	// with different journals would both write.
	if j.lock, err = fileutil.LockPaths(p.Out, p.Report, p.Metrics); err != nil {
		return err
	}
	if j.tmpDir, err = fileutil.PrivateTempDir(); err != nil {
		return err
	}
	if j.in, err = scan(p); err != nil {
		return err
	}
	e, err := look(p, j.in, j.tmpDir)
	if err == nil {
		err = refuseRerun(p, e)
	}
	if err != nil {
		return err
	}
	if j.jr, j.state, err = journal.Open(p.Journal, j.meta(), p.Fresh); err != nil {
		return err
	}
	j.removeStale()
	return nil
}

// meta is what the journal records of this run, to refuse resuming it with
// another input or options.
func (j *job) meta() journal.Meta {
	p := j.p
	return journal.Meta{InputSHA256: j.in.sha256, InputSize: j.in.size, Version: p.Version, Options: map[string]string{
		"endpoint":    p.Endpoint,
		"sheet":       p.Read.Sheet,
		"columns":     strings.Join(p.Columns, ","),
		"no_precheck": strconv.FormatBool(p.Read.NoPrecheck),
	}}
}

// removeStale removes what killed runs left half-written beside the files
// this run writes: only those of processes that are gone.
func (j *job) removeStale() {
	for _, path := range []string{j.p.Out, j.p.Report, j.p.Metrics} {
		if path == "" {
			continue
		}
		if removed, err := fileutil.RemoveStale(path); err != nil {
			fmt.Fprintf(j.p.Console, "bankcard4e: %v\n", err)
		} else if len(removed) > 0 {
			fmt.Fprintf(j.p.Console, "removed %d temporary files an interrupted run left beside %s\n", len(removed), path)
		}
	}
}

// release lets go of what prepare took.
func (j *job) release() {
	if j.jr != nil {
		j.jr.Close()
	}
	if j.tmpDir != "" {
		os.RemoveAll(j.tmpDir)
	}
	j.lock.Unlock()
}

// run sends the rows and writes the results.
func (j *job) run(ctx context.Context) (*batch.Report, error) {
	p := j.p
	src, err := reader.Open(p.Input, p.Read)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	out, err := writer.Create(p.Out, src.Header(), writer.Options{Mask: p.Mask, TempDir: j.tmpDir})
	if err != nil {
		return nil, err
	}
	cfg := p.Batch
	cfg.Journal, cfg.Now, cfg.Progress = j.jr, p.Now, p.Progress.Update
	cfg.Resume = &batch.Resume{Final: j.state.Final, Carry: j.state.Carry}
	cfg.Repeats = j.in.repeats
	if n := len(j.state.Final) + len(j.state.Carry); n > 0 {
		fmt.Fprintf(p.Console, "resuming from journal %s: %d rows already final, %d rows with earlier attempts\n", p.Journal, len(j.state.Final), len(j.state.Carry))
	}
	v := &watch{v: p.Verifier}
	p.Progress.Start(j.in.rows)
	rep, runErr := batch.Run(ctx, src, v, out, cfg)
	p.Progress.Stop()
	if rep != nil {
		j.fill(rep, v.code())
	}
	if runErr != nil {
		_ = out.Abort()
		if rep != nil {
			rep.ExitCode = ExitFatal
			j.writeSideFiles(rep)
		}
		return rep, fmt.Errorf("verify %q: %w", p.Input, runErr)
	}
	rep.ExitCode = runExitCode(ctx, rep)
	if err := out.Close(rep); err != nil {
		rep.ExitCode = ExitFatal
		j.writeSideFiles(rep)
		return rep, err
	}
	j.writeSideFiles(rep)
	j.finish(rep)
	return rep, nil
}

// fill adds what the run knows and the batch does not to the report.
func (j *job) fill(rep *batch.Report, serviceCode string) {
	p := j.p
	rep.Input, rep.InputSHA256, rep.Output = p.Input, j.in.sha256, p.Out
	rep.Endpoint, rep.Version, rep.Price = p.Endpoint, p.Version, p.Price
	if !rep.Aborted {
		return
	}
	if rep.AbortCode == "" { // a batch that does not set the code yet
		rep.AbortCode = batch.AbortBreaker
		if serviceCode != "" {
			rep.AbortCode = batch.AbortService
		}
	}
	rep.AbortReason += abortHint(rep.AbortCode, serviceCode)
}

// writeSideFiles writes --report and --metrics; a failure is reported and
// makes the run exit 1, so that monitoring notices.
func (j *job) writeSideFiles(rep *batch.Report) {
	p := j.p
	var errs []error
	if p.Report != "" {
		errs = append(errs, writer.WriteReport(p.Report, rep))
	}
	if p.Metrics != "" {
		errs = append(errs, writer.WriteMetrics(p.Metrics, rep, p.Now()))
	}
	for _, err := range errs {
		if err != nil {
			fmt.Fprintf(p.Console, "bankcard4e: %v\n", err)
			rep.ExitCode = ExitFatal
		}
	}
}

// finish removes the journal of a complete run (keeps it otherwise) and
// prints the summary and what to do next.
func (j *job) finish(rep *batch.Report) {
	p := j.p
	complete := rep.Errors == 0 && rep.NotAttempted == 0 && !rep.Aborted && !rep.Interrupted
	var err error
	if complete {
		err = j.jr.Remove()
	} else {
		err = j.jr.Close()
	}
	j.jr = nil
	if err != nil {
		fmt.Fprintf(p.Console, "bankcard4e: journal %s: %v\n", p.Journal, err)
	}
	fmt.Fprint(p.Console, writer.Summary(rep))
	switch {
	case rep.Aborted:
		fmt.Fprintf(p.Console, "run aborted: %s\nrerun the same command to resume; rows already answered will not be sent again.\n", rep.AbortReason)
	case rep.Interrupted:
		fmt.Fprintf(p.Console, "interrupted; rerun the same command to resume (journal %s).\n", p.Journal)
	case !complete:
		fmt.Fprintf(p.Console, "%d rows ended in error; rerun the same command to try them again (journal %s).\n", rep.Errors, p.Journal)
	}
}

// watch passes attempts to the service and keeps the error code of the
// first answer that aborts the run, for the hint.
type watch struct {
	v     batch.Verifier
	mu    sync.Mutex
	abort string
}

func (w *watch) Verify(ctx context.Context, f batch.Fields) batch.Answer {
	a := w.v.Verify(ctx, f)
	if a.Class == batch.ClassAbort {
		w.mu.Lock()
		if w.abort == "" {
			w.abort = a.Code
		}
		w.mu.Unlock()
	}
	return a
}

func (w *watch) code() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.abort
}
