package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// simulateShutdown bounds the wait for calls in flight when simulate stops.
const simulateShutdown = 5 * time.Second

// simulateCommand serves the local faceid simulator (SPEC section 9).
func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "serve the local faceid simulator on loopback, for trying verify without real calls or charges",
		Description: "Accepts the credential in TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY when set,\n" +
			"else a fixed local pair that it prints. Serves until interrupted, then prints what it answered and charged.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "loopback `ADDR` to serve on; port 0 picks a free one"},
			&cli.Float64Flag{Name: "qps", Value: 20, Usage: "`N` requests accepted in any one-second window, RequestLimitExceeded beyond, as the service does (0: unlimited)"},
			&cli.StringFlag{Name: "write-key", Usage: "write the simulator's RSA public key to `FILE.pem`, for verify --encrypt --encryption-key"},
			&cli.StringFlag{Name: "write-sm2-key", Usage: "write the simulator's SM2 public key to `FILE.pem`, for verify --encrypt --encryption-algorithm SM4-GCM --encryption-key"},
		}, simulatorFaultFlags()...),
		Action: runSimulate,
	}
}

// simulatorFaultFlags are the flags for latency and faults, shared by
// commands that start a simulator.
func simulatorFaultFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "latency", Usage: "service latency: one `DURATION` (100ms) or a uniform range (50ms-2s)"},
		&cli.Float64Flag{Name: "fault-5xx", Usage: "probability `P` of an HTTP 502/503 answer"},
		&cli.Float64Flag{Name: "fault-drop-before", Usage: "probability `P` of closing the connection before processing (not charged)"},
		&cli.Float64Flag{Name: "fault-drop-after", Usage: "probability `P` of closing the connection after processing (charged)"},
		&cli.Float64Flag{Name: "fault-throttle", Usage: "probability `P` of RequestLimitExceeded"},
		&cli.Float64Flag{Name: "fault-internal", Usage: "probability `P` of InternalError"},
		&cli.Float64Flag{Name: "fault-busy", Usage: "probability `P` of Result -18 (service busy)"},
		&cli.Float64Flag{Name: "fault-result-and-error", Usage: "probability `P` of an answer with both a Result (charged) and an Error"},
		boolFlag("fault-echo", "repeat each request's fields in Description and Error.Message, to test that no output leaks them"),
		&cli.IntFlag{Name: "arrears-after", Usage: "answer UnauthorizedOperation.Arrears after `N` charged calls (0: never)"},
		boolFlag("auth-failure", "answer every request AuthFailure.SecretIdNotFound"),
		&cli.Int64Flag{Name: "seed", Usage: "`SEED` of the fault and latency draws", DefaultText: "0, the same draws every run"},
	}
}

// simulatorFaultConfig reads the flags of simulatorFaultFlags into a
// simulator.Config (latency, faults, seed).
func simulatorFaultConfig(c *cli.Context) (simulator.Config, error) {
	lo, hi, err := simulator.ParseLatency(c.String("latency"))
	if err != nil {
		return simulator.Config{}, err
	}
	return simulator.Config{
		LatencyMin: lo,
		LatencyMax: hi,
		Seed:       c.Int64("seed"),
		Faults: simulator.Faults{
			HTTP5xx:        c.Float64("fault-5xx"),
			DropBefore:     c.Float64("fault-drop-before"),
			DropAfter:      c.Float64("fault-drop-after"),
			Throttle:       c.Float64("fault-throttle"),
			InternalError:  c.Float64("fault-internal"),
			Busy:           c.Float64("fault-busy"),
			ResultAndError: c.Float64("fault-result-and-error"),
			Echo:           c.Bool("fault-echo"),
			ArrearsAfter:   c.Int("arrears-after"),
			AuthFailure:    c.Bool("auth-failure"),
		},
	}, nil
}

// runSimulate serves until the command's context is cancelled.
func runSimulate(c *cli.Context) error {
	if c.NArg() > 0 {
		return withCode(exitFatal, fmt.Errorf("simulate takes no arguments, got %q", c.Args().First()))
	}
	cfg, err := simulatorFaultConfig(c)
	if err != nil {
		return withCode(exitFatal, err)
	}
	cfg.QPS = c.Float64("qps")
	id, key := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
	if (id == "") != (key == "") {
		return withCode(exitFatal, errors.New("simulate: set both TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or neither for the local pair"))
	}
	cfg.SecretID, cfg.SecretKey = id, key
	if err := simulator.CheckLoopback(c.String("listen")); err != nil {
		return withCode(exitFatal, err)
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return withCode(exitFatal, err)
	}
	if err := sim.WriteKeys(c.String("write-key"), c.String("write-sm2-key")); err != nil {
		return withCode(exitFatal, err)
	}
	base, err := sim.Start(c.String("listen"))
	if err != nil {
		return withCode(exitFatal, err)
	}
	simulator.WriteBanner(c.App.Writer, base, id, c.String("write-key"), c.String("write-sm2-key"))
	fmt.Fprintln(c.App.ErrWriter, "serving until interrupted (Ctrl-C)")

	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), simulateShutdown)
	defer cancel()
	sim.Shutdown(ctx) //nolint:errcheck // calls still in flight after the wait are cut; the stats say so
	sim.Stats().Format(c.App.Writer)
	return nil
}
