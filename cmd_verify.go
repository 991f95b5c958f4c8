package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/batch/journal"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"github.com/bankcard4e/bankcard4e/writer"
)

// defaultEndpoint is the international site; China-site accounts use
// https://faceid.tencentcloudapi.com.
const defaultEndpoint = "https://faceid.intl.tencentcloudapi.com"

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify every row of INPUT (.csv or .xlsx) with BankCard4EVerification",
		ArgsUsage: "INPUT",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE`, .xlsx or .csv (default: <input stem>.results.xlsx beside the input)"},
			&cli.StringFlag{Name: "sheet", Usage: "XLSX input sheet `NAME` (default: the first sheet with a recognised header row)"},
			&cli.GenericFlag{Name: "column", Value: &columnSpecs{}, Usage: "map `FIELD=HEADER` (fields: name, bankcard, phone, idcard, certtype); repeatable"},
			&cli.Float64Flag{Name: "qps", Value: 20, Usage: "requests started per second, at most"},
			&cli.IntFlag{Name: "workers", Usage: "concurrent requests (default: auto, enough to hold --qps at any latency up to --timeout)"},
			&cli.StringFlag{Name: "endpoint", Value: defaultEndpoint, Usage: "service `URL` (China-site accounts: https://faceid.tencentcloudapi.com)"},
			&cli.StringFlag{Name: "region", Usage: "sent as X-TC-Region when given"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "one request"},
			&cli.IntFlag{Name: "retries", Value: 5, Usage: "attempts per row for retryable answers"},
			&cli.StringFlag{Name: "price", Usage: "price of one charged call, for the cost line"},
			&cli.StringFlag{Name: "report", Usage: "write a machine-readable summary to `FILE.json`"},
			&cli.StringFlag{Name: "metrics", Usage: "write Prometheus textfile-collector metrics to `FILE.prom`"},
			&cli.StringFlag{Name: "journal", Usage: "resume journal `FILE` (default: <out>.journal)"},
			&cli.BoolFlag{Name: "fresh", Usage: "ignore an existing journal and start over (rows already charged are charged again)"},
			&cli.BoolFlag{Name: "mask", Usage: "mask personal data in the output sheet"},
			&cli.BoolFlag{Name: "encrypt", Usage: "send the four fields encrypted (Encryption parameter)"},
			&cli.StringFlag{Name: "encryption-key", Usage: "RSA public key `FILE` (PEM) for --encrypt (default: Tencent's published faceid key)"},
			&cli.StringFlag{Name: "profile", Value: "default", Usage: "tccli credential profile `NAME`"},
			&cli.StringFlag{Name: "lang", Value: "en-US", Usage: "language of Description: en-US or zh-CN"},
			&cli.BoolFlag{Name: "no-precheck", Usage: "send rows that fail local format checks anyway"},
			&cli.BoolFlag{Name: "simulate", Usage: "run against an in-process simulator with local credentials (no account, no charges)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress, only errors and the final summary"},
		},
		Action: runVerify,
	}
}

// verifyOptions are the parsed options of one verify run.
type verifyOptions struct {
	input, out, journal, report, metrics string
	price                                *float64
	readOpts                             reader.Options
	columns                              []string
	cfg                                  batch.Config
	endpoint                             string
}

func parseVerifyOptions(c *cli.Context) (*verifyOptions, error) {
	if c.NArg() != 1 {
		return nil, fmt.Errorf("verify takes one INPUT file, got %d arguments", c.NArg())
	}
	o := &verifyOptions{input: c.Args().First()}
	o.columns = *c.Generic("column").(*columnSpecs)
	cols, err := reader.ParseColumns(o.columns)
	if err != nil {
		return nil, err
	}
	o.readOpts = reader.Options{Sheet: c.String("sheet"), Columns: cols, NoPrecheck: c.Bool("no-precheck")}
	o.out = c.String("out")
	if o.out == "" {
		stem := strings.TrimSuffix(o.input, filepath.Ext(o.input))
		o.out = stem + ".results.xlsx"
	}
	switch strings.ToLower(filepath.Ext(o.out)) {
	case ".xlsx", ".csv":
	default:
		return nil, fmt.Errorf("--out %q: the output must be .xlsx or .csv", o.out)
	}
	if abs(o.out) == abs(o.input) {
		return nil, fmt.Errorf("--out %q is the input file", o.out)
	}
	o.journal = c.String("journal")
	if o.journal == "" {
		o.journal = o.out + ".journal"
	}
	o.report, o.metrics = c.String("report"), c.String("metrics")
	if p := c.String("price"); p != "" {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("--price %q: want a number such as 0.5", p)
		}
		o.price = &v
	}
	qps := c.Float64("qps")
	if qps <= 0 {
		return nil, fmt.Errorf("--qps %v: want a rate above 0", qps)
	}
	if c.Int("retries") < 1 {
		return nil, fmt.Errorf("--retries %d: want at least 1 attempt", c.Int("retries"))
	}
	if c.Int("workers") < 0 {
		return nil, fmt.Errorf("--workers %d: want a positive count (or leave it out for auto)", c.Int("workers"))
	}
	if c.Duration("timeout") <= 0 {
		return nil, fmt.Errorf("--timeout %v: want a positive duration", c.Duration("timeout"))
	}
	o.cfg = batch.Config{
		QPS:      qps,
		Workers:  c.Int("workers"),
		Attempts: c.Int("retries"),
		Timeout:  c.Duration("timeout"),
	}
	return o, nil
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func runVerify(c *cli.Context) error {
	stderr := c.App.ErrWriter
	o, err := parseVerifyOptions(c)
	if err != nil {
		return withCode(exitFatal, err)
	}

	// The service: the in-process simulator or the real endpoint.
	vcfg := verifier.Config{
		Endpoint: c.String("endpoint"),
		Region:   c.String("region"),
		Language: c.String("lang"),
		Timeout:  o.cfg.Timeout,
		Encrypt:  c.Bool("encrypt"),
	}
	if c.Bool("simulate") {
		sim, err := simulator.New(simulator.Config{QPS: o.cfg.QPS})
		if err != nil {
			return withCode(exitFatal, fmt.Errorf("start simulator: %w", err))
		}
		url, err := sim.Start("127.0.0.1:0")
		if err != nil {
			return withCode(exitFatal, fmt.Errorf("start simulator: %w", err))
		}
		defer sim.Close()
		vcfg.Endpoint = url
		vcfg.Credential = verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey, Source: "the simulator's local pair"}
		if vcfg.Encrypt && !c.IsSet("encryption-key") {
			if vcfg.PublicKey, err = verifier.ParsePublicKey(sim.PublicKeyPEM()); err != nil {
				return withCode(exitFatal, fmt.Errorf("simulator key: %w", err))
			}
		}
		o.endpoint = "simulator (in-process)"
	} else {
		home, _ := os.UserHomeDir()
		cred, err := verifier.LoadCredential(verifier.CredentialOptions{Getenv: os.Getenv, Home: home, Profile: c.String("profile")})
		if err != nil {
			return withCode(exitFatal, err)
		}
		vcfg.Credential = cred
		o.endpoint = vcfg.Endpoint
	}
	if path := c.String("encryption-key"); path != "" {
		pemBytes, err := os.ReadFile(path)
		if err != nil {
			return withCode(exitFatal, fmt.Errorf("--encryption-key: %w", err))
		}
		if vcfg.PublicKey, err = verifier.ParsePublicKey(pemBytes); err != nil {
			return withCode(exitFatal, fmt.Errorf("--encryption-key %q: %w", path, err))
		}
	}
	client, err := verifier.New(vcfg)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer client.CloseIdleConnections()

	// The input, its fingerprint, the output and the journal: all checked
	// before the first call is sent.
	src, err := reader.Open(o.input, o.readOpts)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer src.Close()
	sum, size, err := fingerprint(o.input)
	if err != nil {
		return withCode(exitFatal, err)
	}
	if err := writer.CheckWritable(o.out); err != nil {
		return withCode(exitFatal, err)
	}
	// Read the whole input once before any call: a file that breaks off
	// half-way (a stray quote, a damaged sheet) is refused now, not after
	// paying for the rows above the break. The count also sets the
	// progress bar's total and tells whether an .xlsx output can hold it.
	rows, err := countRows(o, math.MaxInt)
	if err != nil {
		return withCode(exitFatal, fmt.Errorf("%w; no call was sent", err))
	}
	if err := fitsXLSX(o, rows, xlsxMaxRows); err != nil {
		return withCode(exitFatal, err)
	}
	tmpDir, err := privateTempDir()
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer os.RemoveAll(tmpDir)
	if !c.Bool("fresh") && !c.Bool("simulate") { // the simulator charges nothing
		if err := refuseRepeat(o, sum, tmpDir); err != nil {
			return withCode(exitFatal, err)
		}
	}
	meta := journal.Meta{InputSHA256: sum, InputSize: size, Version: version, Options: map[string]string{
		"endpoint":    o.endpoint,
		"sheet":       o.readOpts.Sheet,
		"columns":     strings.Join(o.columns, ","),
		"no_precheck": strconv.FormatBool(o.readOpts.NoPrecheck),
	}}
	jr, state, err := journal.Open(o.journal, meta, c.Bool("fresh"))
	if err != nil {
		return withCode(exitFatal, err)
	}
	journalOpen := true
	defer func() {
		if journalOpen {
			jr.Close()
		}
	}()
	// The journal's lock is ours: no other run writes these files now, so
	// what a killed run left half-written beside them can go.
	for _, p := range []string{o.out, o.report, o.metrics} {
		if p == "" {
			continue
		}
		if removed, err := writer.RemoveStale(p); err != nil {
			fmt.Fprintf(stderr, "bankcard4e: %v\n", err)
		} else if len(removed) > 0 {
			fmt.Fprintf(stderr, "removed %d temporary files an interrupted run left beside %s\n", len(removed), p)
		}
	}
	out, err := writer.Create(o.out, src.Header(), writer.Options{Mask: c.Bool("mask"), TempDir: tmpDir})
	if err != nil {
		return withCode(exitFatal, err)
	}

	cfg := o.cfg
	cfg.Journal = jr
	cfg.Resume = &batch.Resume{Final: state.Final, Carry: state.Carry}
	if len(state.Final)+len(state.Carry) > 0 {
		fmt.Fprintf(stderr, "resuming from journal %s: %d rows already final, %d rows with earlier attempts\n", o.journal, len(state.Final), len(state.Carry))
	}
	prog := newProgress(stderr, c.Bool("quiet"))
	prog.total = rows
	cfg.Progress = prog.update
	stopProgress := prog.start()

	rep, runErr := batch.Run(c.Context, src, client, out, cfg)
	stopProgress()
	if rep != nil {
		rep.Input, rep.InputSHA256, rep.Output = o.input, sum, o.out
		rep.Endpoint, rep.Version = o.endpoint, version
		rep.Price = o.price
		if o.price != nil {
			cost := float64(rep.Charged) * *o.price
			most := float64(rep.Charged+rep.PossiblyCharged) * *o.price
			rep.Cost, rep.MaxCost = &cost, &most
		}
		if rep.Aborted {
			rep.AbortReason += abortHint(rep.AbortReason)
		}
	}
	if runErr != nil {
		_ = out.Abort()
		if rep != nil {
			rep.ExitCode = exitFatal
			writeSideFiles(stderr, o, rep)
		}
		return withCode(exitFatal, fmt.Errorf("verify %q: %w", o.input, runErr))
	}
	rep.ExitCode = runExitCode(c.Context, rep)
	if err := out.Close(rep); err != nil {
		rep.ExitCode = exitFatal
		writeSideFiles(stderr, o, rep)
		return withCode(exitFatal, err)
	}
	writeSideFiles(stderr, o, rep)

	complete := rep.Errors == 0 && rep.NotAttempted == 0 && !rep.Aborted && !rep.Interrupted
	if complete {
		err = jr.Remove()
	} else {
		err = jr.Close()
	}
	journalOpen = false
	if err != nil {
		fmt.Fprintf(stderr, "bankcard4e: journal %s: %v\n", o.journal, err)
	}

	fmt.Fprint(stderr, writer.Summary(rep))
	switch {
	case rep.Aborted:
		fmt.Fprintf(stderr, "run aborted: %s\nrerun the same command to resume; rows already answered will not be sent again.\n", rep.AbortReason)
	case rep.Interrupted:
		fmt.Fprintf(stderr, "interrupted; rerun the same command to resume (journal %s).\n", o.journal)
	case !complete:
		fmt.Fprintf(stderr, "%d rows ended in error; rerun the same command to try them again (journal %s).\n", rep.Errors, o.journal)
	}
	if rep.ExitCode != exitOK {
		return withCode(rep.ExitCode, nil)
	}
	return nil
}

// runExitCode is the exit code of a run that finished without failing.
func runExitCode(ctx context.Context, rep *batch.Report) int {
	switch {
	case rep.Aborted:
		return exitAborted
	case rep.Interrupted:
		var se *signalError
		if errors.As(context.Cause(ctx), &se) && se.sig.String() == "terminated" {
			return exitTerminated
		}
		return exitInterrupted
	case rep.Errors > 0 || rep.NotAttempted > 0:
		return exitRowErrors
	}
	return exitOK
}

// writeSideFiles writes --report and --metrics; a failure is reported but
// does not hide the run's own outcome.
func writeSideFiles(stderr io.Writer, o *verifyOptions, rep *batch.Report) {
	if o.report != "" {
		if err := writer.WriteReport(o.report, rep); err != nil {
			fmt.Fprintf(stderr, "bankcard4e: %v\n", err)
		}
	}
	if o.metrics != "" {
		if err := writer.WriteMetrics(o.metrics, rep, time.Now()); err != nil {
			fmt.Fprintf(stderr, "bankcard4e: %v\n", err)
		}
	}
}

// refuseRepeat stops a rerun that would pay for the same list twice: the
// output already holds this input's results and there is no journal to
// resume from (a complete run deletes it).
func refuseRepeat(o *verifyOptions, inputSHA, tmpDir string) error {
	if _, err := os.Stat(o.journal); err == nil {
		return nil // a journal: the rerun resumes
	}
	if strings.EqualFold(filepath.Ext(o.out), ".csv") {
		if csvHoldsInput(o) {
			return fmt.Errorf("output %q already holds a result for every row of this input and there is no journal to resume from; verifying again would charge its rows again: "+
				"pass --fresh to verify again anyway, or --out to write somewhere else", o.out)
		}
		return nil
	}
	p, ok, err := writer.ReadPrevious(o.out, tmpDir)
	if err != nil || !ok || !strings.EqualFold(p.InputSHA256, inputSHA) {
		return nil // not an earlier run of this input: it will be replaced
	}
	state := "finished"
	if p.ExitCode != "0" {
		state = "stopped (exit " + p.ExitCode + ") and its journal is gone"
	}
	return fmt.Errorf("output %q already holds the results of this input (run %s at %s); verifying again would charge its rows again: "+
		"pass --fresh to verify again anyway, or --out to write somewhere else", o.out, state, p.Finished)
}

// csvHoldsInput reports whether the .csv output holds, row for row, the
// input's cells followed by result columns: the output of an earlier run of
// this list. (A .csv output has no Summary with the input's fingerprint; a
// masked one does not match and is not recognised.)
func csvHoldsInput(o *verifyOptions) bool {
	f, err := os.Open(o.out)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\xEF\xBB\xBF" {
		br.Discard(3)
	}
	out := csv.NewReader(br)
	out.FieldsPerRecord = -1
	src, err := reader.Open(o.input, o.readOpts)
	if err != nil {
		return false
	}
	defer src.Close()
	h, err := out.Read()
	if err != nil || !prefixEqual(h, src.Header().Cells) || len(h) != len(src.Header().Cells)+6 || h[len(h)-6] != "Status" {
		return false
	}
	for {
		row, err := src.Next()
		rec, outErr := out.Read()
		switch {
		case errors.Is(err, io.EOF):
			return errors.Is(outErr, io.EOF)
		case err != nil || outErr != nil || !prefixEqual(rec, row.Cells):
			return false
		}
	}
}

// prefixEqual reports whether rec starts with cells.
func prefixEqual(rec, cells []string) bool {
	if len(rec) < len(cells) {
		return false
	}
	for i, c := range cells {
		if rec[i] != c {
			return false
		}
	}
	return true
}

// xlsxMaxRows is the most data rows an .xlsx Results sheet holds (Excel's
// 1,048,576 rows less the header).
const xlsxMaxRows = 1<<20 - 1

// fitsXLSX refuses an input of rows data rows when the output is an .xlsx
// sheet of at most limit rows: finding out at that row would leave a run
// that paid for every row before it without a workbook to show.
func fitsXLSX(o *verifyOptions, rows, limit int) error {
	if !strings.EqualFold(filepath.Ext(o.out), ".xlsx") || rows <= limit {
		return nil
	}
	return fmt.Errorf("input %q has %d rows, more than the %d an .xlsx sheet holds: write the output as .csv (--out %s)",
		o.input, rows, limit, strings.TrimSuffix(o.out, filepath.Ext(o.out))+".csv")
}

// countRows counts the data rows of the input, stopping at most.
func countRows(o *verifyOptions, most int) (int, error) {
	src, err := reader.Open(o.input, o.readOpts)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for n < most {
		if _, err := src.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// fingerprint is the input's SHA-256 (hex) and size.
func fingerprint(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open input %q: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read input %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// abortHint tells the user how to fix what stopped the run.
func abortHint(reason string) string {
	code, _, _ := strings.Cut(reason, ":")
	switch {
	case code == "AuthFailure.SignatureExpire":
		return " — this machine's clock is more than 5 minutes off; fix it (NTP) and rerun"
	case code == "AuthFailure.TokenFailure":
		return " — the session token is wrong or expired; get a new temporary credential and rerun"
	case strings.HasPrefix(code, "AuthFailure."):
		return " — the SecretId/SecretKey pair was refused; check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or the --profile credential, then rerun"
	case code == "UnauthorizedOperation.Arrears":
		return " — the account is in arrears; top it up, then rerun the same command to resume"
	case code == "UnauthorizedOperation.Nonactivated":
		return " — the faceid service is not activated for this account; activate it in the console and rerun"
	case strings.HasPrefix(code, "UnauthorizedOperation."), code == "FailedOperation.StsUnAuthErrError":
		return " — the account may not call this API; check its permissions and billing, then rerun"
	case code == "UnsupportedRegion":
		return " — the service is not offered in that region; change or drop --region"
	case code == "InvalidAction", code == "NoSuchVersion":
		return " — the endpoint does not offer BankCard4EVerification 2018-03-01; check --endpoint"
	case strings.HasPrefix(reason, "circuit breaker"):
		return " — the service is failing; rerun later to resume"
	}
	return ""
}
