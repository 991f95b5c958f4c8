package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/memory"
	"github.com/bankcard4e/bankcard4e/reader"
)

// memoryCommand administers the memory of earlier answers (SPEC section
// 11). None of its subcommands prints personal data, and none creates a
// memory that does not exist.
func memoryCommand() *cli.Command {
	return &cli.Command{
		Name:  "memory",
		Usage: "inspect, prune or erase from the memory of earlier answers",
		Subcommands: []*cli.Command{
			{
				Name:   "stats",
				Usage:  "print the memory's entries, oldest and newest, and counts by Result (no personal data)",
				Flags:  memoryFileFlags(),
				Action: runMemoryStats,
			},
			{
				Name:  "prune",
				Usage: "delete the answers (and card-guard counts) older than --older-than",
				Flags: append(memoryFileFlags(),
					&cli.StringFlag{Name: "older-than", Required: true, Usage: "age `D`, e.g. 90d, 30d or 12h"},
				),
				Action: runMemoryPrune,
			},
			{
				Name:      "forget",
				Usage:     "delete the entries of every row of LIST (.csv or .xlsx), for a customer's erasure request",
				ArgsUsage: "LIST",
				Flags:     append(memoryFileFlags(), listFlags()...),
				Action:    runMemoryForget,
			},
		},
	}
}

// memoryAdmin is the memory the subcommand's flags name.
func memoryAdmin(c *cli.Context) (job.MemoryAdmin, error) {
	path, err := memoryFile(c)
	return job.MemoryAdmin{Path: path, KeyPath: c.String("memory-key"), Out: c.App.Writer}, err
}

func runMemoryStats(c *cli.Context) error {
	a, err := memoryAdmin(c)
	if err == nil {
		err = a.Stats(c.Context)
	}
	return fatal(err)
}

func runMemoryPrune(c *cli.Context) error {
	d, err := memory.ParseDuration(c.String("older-than"))
	if err != nil {
		return withCode(exitFatal, fmt.Errorf("--older-than: %w", err))
	}
	a, err := memoryAdmin(c)
	if err == nil {
		err = a.Prune(c.Context, d)
	}
	return fatal(err)
}

func runMemoryForget(c *cli.Context) error {
	if c.NArg() != 1 {
		return withCode(exitFatal, fmt.Errorf("memory forget takes one LIST file, got %d arguments", c.NArg()))
	}
	a, err := memoryAdmin(c)
	var o reader.Options
	if err == nil {
		o, err = listOptions(c)
	}
	if err == nil {
		err = a.Forget(c.Context, c.Args().First(), o)
	}
	return fatal(err)
}
