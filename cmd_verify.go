package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/verifier"
)

// defaultEndpoint is the international site; China-site accounts use
// https://faceid.tencentcloudapi.com.
const defaultEndpoint = "https://faceid.intl.tencentcloudapi.com"

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify every row of INPUT (.csv or .xlsx) with BankCard4EVerification",
		ArgsUsage: "INPUT",
		Flags: append(append(inputFlags("send rows that fail local format checks anyway"), []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE`, .xlsx or .csv", DefaultText: "<input stem>.results.xlsx beside the input"},
			qpsFlag("requests started per second, at most"),
			&cli.IntFlag{Name: "workers", Usage: "`N` concurrent requests", DefaultText: "auto, grown to hold --qps at the observed latency"},
			&cli.StringFlag{Name: "endpoint", Value: defaultEndpoint, Usage: "service `URL` (China-site accounts: https://faceid.tencentcloudapi.com)"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` sent as X-TC-Region", DefaultText: "none"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "time limit `DURATION` of one request"},
			&cli.IntFlag{Name: "retries", Value: 5, Usage: "`N` attempts per row for retryable answers"},
			priceFlag("for the cost line"),
			currencyFlag(),
			reportFlag(),
			&cli.StringFlag{Name: "metrics", Usage: "write Prometheus textfile-collector metrics to `FILE.prom`"},
			&cli.StringFlag{Name: "journal", Usage: "resume journal `FILE`", DefaultText: "<out>.journal"},
			boolFlag("fresh", "ignore an existing journal and an earlier result of this input and start over (rows already charged are charged again, unless the memory answers them)"),
			boolFlag("force", "replace an existing --out that is not a result of this input"),
			boolFlag("mask", "mask personal data in the output sheet"),
			boolFlag("encrypt", "send the four fields encrypted (Encryption parameter)"),
			&cli.StringFlag{Name: "encryption-algorithm", Value: verifier.AlgorithmAES, Usage: "`ALGORITHM` for --encrypt: AES-256-CBC or SM4-GCM"},
			&cli.StringFlag{Name: "encryption-key", Usage: "public key `FILE` (PEM) for --encrypt: RSA for AES-256-CBC, SM2 for SM4-GCM", DefaultText: "Tencent's published faceid key for the algorithm"},
			&cli.StringFlag{Name: "profile", Value: "default", Usage: "tccli credential profile `NAME`"},
			&cli.StringFlag{Name: "lang", Value: "en-US", Usage: "`LANG` of Description: en-US or zh-CN"},
			boolFlag("simulate", "run against an in-process simulator with local credentials (no account, no charges)"),
			boolFlag("quiet", "no progress, only errors and the final summary", "q"),
		}...), verifyMemoryFlags()...),
		Action: runVerify,
	}
}

func runVerify(c *cli.Context) error {
	plan, err := verifyPlan(c)
	if err != nil {
		return withCode(exitFatal, err)
	}
	home, _ := os.UserHomeDir()
	svc, err := job.OpenService(job.ServiceOptions{
		Endpoint: c.String("endpoint"), Region: c.String("region"), Language: c.String("lang"),
		Timeout: plan.Batch.Timeout, QPS: plan.Batch.QPS,
		Encrypt: c.Bool("encrypt"), Algorithm: c.String("encryption-algorithm"), KeyFile: c.String("encryption-key"),
		Simulate:   c.Bool("simulate"),
		Credential: verifier.CredentialOptions{Getenv: os.Getenv, Home: home, Profile: c.String("profile")},
	})
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer svc.Close()
	plan.Verifier, plan.Endpoint, plan.Simulated = svc.Client, svc.Name, svc.Simulated
	if plan.Memory, err = verifyMemoryPlan(c, svc.Simulated); err != nil {
		return withCode(exitFatal, err)
	}
	plan.Memory.SecretID = svc.SecretID
	plan.Progress = job.NewProgress(c.App.ErrWriter, c.Bool("quiet"))
	rep, err := job.Run(c.Context, plan)
	if err != nil {
		return withCode(exitFatal, err)
	}
	if code := job.ExitCode(rep, nil); code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// verifyPlan turns verify's flags into a job.Plan without its services.
func verifyPlan(c *cli.Context) (job.Plan, error) {
	p := job.Plan{Version: version, Console: c.App.ErrWriter, Columns: *c.Generic("column").(*columnSpecs)}
	input, err := oneInput(c, "verify")
	p.Read, err = readOptions(c, err)
	qps, price, currency, err := costOptions(c, err)
	if err != nil {
		return p, err
	}
	p.Input, p.Out, p.Journal = input, c.String("out"), c.String("journal")
	p.Report, p.Metrics, p.Price, p.Currency = c.String("report"), c.String("metrics"), price, currency
	if p.Encrypt = c.Bool("encrypt"); p.Encrypt {
		if p.EncryptionAlgorithm, err = verifier.ParseAlgorithm(c.String("encryption-algorithm")); err != nil {
			return p, fmt.Errorf("--encryption-algorithm: %w", err)
		}
	} else if c.IsSet("encryption-algorithm") || c.IsSet("encryption-key") {
		return p, fmt.Errorf("--encryption-algorithm and --encryption-key take effect only with --encrypt")
	}
	p.Fresh, p.Force, p.Mask = c.Bool("fresh"), c.Bool("force"), c.Bool("mask")
	p.Batch, err = batchConfig(c, qps)
	return p, err
}

// batchConfig reads the rate, worker, retry and timeout flags.
func batchConfig(c *cli.Context, qps float64) (batch.Config, error) {
	switch {
	case c.Int("retries") < 1:
		return batch.Config{}, fmt.Errorf("--retries %d: want at least 1 attempt", c.Int("retries"))
	case c.Int("workers") < 0:
		return batch.Config{}, fmt.Errorf("--workers %d: want a positive count (or leave it out for auto)", c.Int("workers"))
	case c.Duration("timeout") <= 0:
		return batch.Config{}, fmt.Errorf("--timeout %v: want a positive duration", c.Duration("timeout"))
	}
	return batch.Config{QPS: qps, Workers: c.Int("workers"), Attempts: c.Int("retries"), Timeout: c.Duration("timeout")}, nil
}
