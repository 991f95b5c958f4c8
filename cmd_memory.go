package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/memory"
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
				Flags:  memoryFlags(),
				Action: runMemoryStats,
			},
			{
				Name:  "prune",
				Usage: "delete the answers (and card-guard counts) older than --older-than",
				Flags: append(memoryFlags(),
					&cli.StringFlag{Name: "older-than", Required: true, Usage: "age `D`, e.g. 90d, 30d or 12h"},
				),
				Action: runMemoryPrune,
			},
			{
				Name:      "forget",
				Usage:     "delete the entries of every row of LIST (.csv or .xlsx), for a customer's erasure request",
				ArgsUsage: "LIST",
				Flags:     append(memoryFlags(), listFlags()...),
				Action:    runMemoryForget,
			},
		},
	}
}

// memoryFlags are the flags that name the memory.
func memoryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Usage: "memory database `FILE` (default: $XDG_STATE_HOME/bankcard4e/memory.db, else ~/.local/state/bankcard4e/memory.db)"},
		&cli.StringFlag{Name: "memory-key", Usage: "the memory's secret key `FILE` (default: memory.key beside the database)"},
	}
}

// memoryPath is --memory, or the default path.
func memoryPath(c *cli.Context) (string, error) {
	if p := c.String("memory"); p != "" {
		return p, nil
	}
	home, _ := os.UserHomeDir()
	return memory.DefaultPath(os.Getenv, home)
}

// openMemoryAdmin opens the memory named by the flags, without creating
// it: nil (and no error) when there is no database, after saying so.
func openMemoryAdmin(c *cli.Context) (*memory.Store, error) {
	path, err := memoryPath(c)
	if err != nil {
		return nil, withCode(exitFatal, err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.App.Writer, "no memory at %s\n", path)
		return nil, nil
	}
	s, err := memory.Open(path, c.String("memory-key"), memory.Options{NoCreate: true})
	if err != nil {
		return nil, withCode(exitFatal, err)
	}
	return s, nil
}

func runMemoryStats(c *cli.Context) error {
	s, err := openMemoryAdmin(c)
	if s == nil {
		return err
	}
	defer s.Close()
	st, err := s.Stats(c.Context, time.Now())
	if err != nil {
		return withCode(exitFatal, err)
	}
	st.Format(c.App.Writer, s.Path())
	return nil
}

func runMemoryPrune(c *cli.Context) error {
	d, err := memory.ParseDuration(c.String("older-than"))
	if err != nil {
		return withCode(exitFatal, fmt.Errorf("--older-than: %w", err))
	}
	s, err := openMemoryAdmin(c)
	if s == nil {
		return err
	}
	defer s.Close()
	before := time.Now().Add(-d).UTC()
	n, err := s.Prune(c.Context, before)
	if err != nil {
		return withCode(exitFatal, err)
	}
	fmt.Fprintf(c.App.Writer, "pruned %d answers given before %s\n", n, before.Format(time.RFC3339))
	return nil
}

func runMemoryForget(c *cli.Context) error {
	if c.NArg() != 1 {
		return withCode(exitFatal, fmt.Errorf("memory forget takes one LIST file, got %d arguments", c.NArg()))
	}
	list := c.Args().First()
	o, err := listOptions(c)
	if err != nil {
		return withCode(exitFatal, err)
	}
	s, err := openMemoryAdmin(c)
	if s == nil {
		return err
	}
	defer s.Close()
	rows, f, err := job.ForgetList(c.Context, s, list, o)
	if err != nil {
		return withCode(exitFatal, err)
	}
	fmt.Fprintf(c.App.Writer, "forgot %d answers and %d card-guard counts for the %d rows of %s\n", f.Answers, f.CardCalls, rows, list)
	return nil
}
