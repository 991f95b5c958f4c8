package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
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
			&cli.IntFlag{Name: "workers", Usage: "`N` concurrent requests", DefaultText: "auto, enough to hold --qps at any latency up to --timeout"},
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
	svc, err := newService(c, plan.Batch.QPS, plan.Batch.Timeout)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer svc.close()
	plan.Verifier, plan.Endpoint, plan.Simulated = svc.client, svc.name, svc.simulated
	if plan.Memory, err = verifyMemoryPlan(c, svc.simulated); err != nil {
		return withCode(exitFatal, err)
	}
	plan.Memory.SecretID = svc.secretID
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
	p := job.Plan{Version: version, Console: c.App.ErrWriter}
	input, err := oneInput(c, "verify")
	if err != nil {
		return p, err
	}
	p.Columns = *c.Generic("column").(*columnSpecs)
	cols, err := reader.ParseColumns(p.Columns)
	if err != nil {
		return p, err
	}
	p.Input, p.Out, p.Journal = input, c.String("out"), c.String("journal")
	p.Report, p.Metrics = c.String("report"), c.String("metrics")
	p.Read = reader.Options{Sheet: c.String("sheet"), Columns: cols, NoPrecheck: c.Bool("no-precheck"), HeaderRow: c.Int("header-row")}
	if p.Currency, err = parseCurrency(c); err != nil {
		return p, err
	}
	if p.Encrypt = c.Bool("encrypt"); p.Encrypt {
		if p.EncryptionAlgorithm, err = verifier.ParseAlgorithm(c.String("encryption-algorithm")); err != nil {
			return p, fmt.Errorf("--encryption-algorithm: %w", err)
		}
	} else if c.IsSet("encryption-algorithm") || c.IsSet("encryption-key") {
		return p, fmt.Errorf("--encryption-algorithm and --encryption-key take effect only with --encrypt")
	}
	p.Fresh, p.Force, p.Mask = c.Bool("fresh"), c.Bool("force"), c.Bool("mask")
	if p.Price, err = parsePrice(c); err != nil {
		return p, err
	}
	p.Batch, err = batchConfig(c)
	return p, err
}

// batchConfig reads the rate, worker, retry and timeout flags.
func batchConfig(c *cli.Context) (batch.Config, error) {
	qps, err := parseQPS(c)
	if err != nil {
		return batch.Config{}, err
	}
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

// service is the verifier a run calls and how to name and close it.
type service struct {
	client    *verifier.Client
	name      string
	simulated bool
	secretID  string // the credential's SecretId, which names the --shared budget
	closers   []func()
}

func (s *service) close() {
	for _, f := range s.closers {
		f()
	}
}

// newService builds the client for the real endpoint, or for an
// in-process simulator with --simulate.
func newService(c *cli.Context, qps float64, timeout time.Duration) (*service, error) {
	s := &service{name: c.String("endpoint")}
	cfg := verifier.Config{Endpoint: s.name, Region: c.String("region"), Language: c.String("lang"), Timeout: timeout, Encrypt: c.Bool("encrypt")}
	var err error
	if cfg.Encrypt {
		if cfg.Algorithm, err = verifier.ParseAlgorithm(c.String("encryption-algorithm")); err != nil {
			return nil, fmt.Errorf("--encryption-algorithm: %w", err)
		}
		// The key is read and checked against the algorithm before
		// anything else starts: a wrong key sends no call.
		if err = readEncryptionKey(c.String("encryption-key"), &cfg); err != nil {
			return nil, err
		}
	}
	if c.Bool("simulate") {
		err = s.startSimulator(c, qps, &cfg)
	} else {
		home, _ := os.UserHomeDir()
		cfg.Credential, err = verifier.LoadCredential(verifier.CredentialOptions{Getenv: os.Getenv, Home: home, Profile: c.String("profile")})
	}
	if err == nil {
		s.secretID = cfg.Credential.SecretID
		s.client, err = verifier.New(cfg)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	s.closers = append(s.closers, s.client.CloseIdleConnections)
	return s, nil
}

// startSimulator serves a simulator on loopback and points cfg at it.
func (s *service) startSimulator(c *cli.Context, qps float64, cfg *verifier.Config) error {
	sim, err := simulator.New(simulator.Config{QPS: qps})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	s.closers = append(s.closers, func() { sim.Close() })
	s.name, s.simulated = "simulator (in-process)", true
	cfg.Endpoint = url
	cfg.Credential = verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey, Source: "the simulator's local pair"}
	if cfg.Encrypt && cfg.Key == nil {
		// The simulator's own key for the algorithm: it cannot read
		// fields encrypted under Tencent's.
		pemBytes := sim.PublicKeyPEM()
		if cfg.Algorithm == verifier.AlgorithmSM4GCM {
			pemBytes = sim.SM2PublicKeyPEM()
		}
		if cfg.Key, err = verifier.ParseEncryptionKey(cfg.Algorithm, pemBytes); err != nil {
			return fmt.Errorf("simulator key: %w", err)
		}
	}
	return nil
}

// readEncryptionKey loads --encryption-key into cfg, when given, as a key
// for cfg.Algorithm: a key of the other kind is refused.
func readEncryptionKey(path string, cfg *verifier.Config) error {
	if path == "" {
		return nil
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--encryption-key: %w", err)
	}
	if cfg.Key, err = verifier.ParseEncryptionKey(cfg.Algorithm, pemBytes); err != nil {
		return fmt.Errorf("--encryption-key %q for %s: %w", path, cfg.Algorithm, err)
	}
	return nil
}

// parsePrice reads --price: nil when not given.
func parsePrice(c *cli.Context) (*float64, error) {
	s := c.String("price")
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return nil, fmt.Errorf("--price %q: want a number such as 0.5", s)
	}
	return &v, nil
}
