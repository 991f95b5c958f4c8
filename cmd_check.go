package main

import (
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/job"
)

// checkCommand reads and validates an input offline: no calls, no charges.
func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "read and validate INPUT offline: no calls, no charges",
		ArgsUsage: "INPUT",
		Flags: append(append(inputFlags("count rows that fail the format checks as sendable, as verify --no-precheck would send them"),
			qpsFlag("requests per second, for the duration estimate"),
			priceFlag("for the cost estimate"),
			currencyFlag(),
			reportFlag(),
		), checkMemoryFlags()...),
		Action: runCheck,
	}
}

func runCheck(c *cli.Context) error {
	if os.Getenv("GOGC") == "" {
		// check allocates a few short-lived strings per row and keeps
		// little: collecting less often saves a fifth of its time at a
		// million rows, for some 40 MB more peak memory.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	input, err := oneInput(c, "check")
	qps, price, currency, err := costOptions(c, err)
	read, err := readOptions(c, err)
	mem, err := checkMemory(c, err)
	var rep *job.CheckReport
	if err == nil {
		rep, err = job.CheckWithMemory(c.Context, input, read, qps, price, mem)
	}
	if err != nil {
		return fatal(err)
	}
	rep.Currency = currency
	rep.PrintInput(c.App.ErrWriter)
	rep.Print(c.App.Writer)
	if path := c.String("report"); path != "" {
		if err := rep.Write(path); err != nil {
			return withCode(exitFatal, err)
		}
	}
	return nil
}
