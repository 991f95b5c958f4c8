package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/memory"
)

// simulatorMemoryEndpoint is how the memory names the in-process
// simulator: the same in every run (its port is not), so that a --simulate
// run with --memory reuses the answers of the one before.
const simulatorMemoryEndpoint = "simulator:in-process"

// The memory options' flags (SPEC sections 2, 11 and 12): check takes the
// ones that say which memory to read; verify all of them.

// memoryFileFlags name the memory's database and key: every command that
// opens it, the memory command too.
func memoryFileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Usage: "the memory of earlier answers, a database `FILE`", DefaultText: "$XDG_STATE_HOME/bankcard4e/memory.db"},
		&cli.StringFlag{Name: "memory-key", Usage: "the memory's 32-byte secret key `FILE` (required with --shared)", DefaultText: "beside the memory, made on first use"},
	}
}

func memoryReadFlags() []cli.Flag {
	return append(memoryFileFlags(),
		boolFlag("no-memory", "neither read nor write the memory"),
		&cli.StringFlag{Name: "reuse-within", Value: "12h", Usage: "reuse an answer the service gave for the same four elements within `D`; 0 always pays"},
		&cli.StringFlag{Name: "shared", Usage: "`URL` redis://… or rediss://…: share the rate limit and the memory with every run on that Redis", DefaultText: "none"},
	)
}

// checkMemoryFlags are check's memory options.
func checkMemoryFlags() []cli.Flag {
	return append(memoryReadFlags(),
		&cli.StringFlag{Name: "endpoint", Value: defaultEndpoint, Usage: "the service `URL` whose answers count"},
	)
}

// verifyMemoryFlags are verify's memory, card guard and budget options.
func verifyMemoryFlags() []cli.Flag {
	return append(memoryReadFlags(),
		&cli.StringFlag{Name: "retain", Value: "90d", Usage: "delete memory entries older than `D` at the start of the run"},
		&cli.IntFlag{Name: "max-per-card", Value: 3, Usage: "at most `N` calls for one bank card in any 24 h, over every run; 0 off"},
		&cli.IntFlag{Name: "max-charged", Usage: "stop sending once charged + possibly charged calls of this job reach `N`", DefaultText: "none"},
	)
}

// memoryDuration parses a duration flag (90d, 12h, 0).
func memoryDuration(c *cli.Context, name string) (time.Duration, error) {
	d, err := memory.ParseDuration(c.String(name))
	if err != nil {
		return 0, fmt.Errorf("--%s: %w", name, err)
	}
	return d, nil
}

// memoryFile is --memory or the default database path.
func memoryFile(c *cli.Context) (string, error) {
	if p := c.String("memory"); p != "" {
		return p, nil
	}
	home, _ := os.UserHomeDir()
	return memory.DefaultPath(os.Getenv, home)
}

// verifyMemoryPlan reads verify's memory flags. simulated: the run calls
// the in-process simulator, which uses no memory unless --memory is given.
func verifyMemoryPlan(c *cli.Context, simulated bool) (job.MemoryPlan, error) {
	m := job.MemoryPlan{Off: c.Bool("no-memory") || simulated && !c.IsSet("memory"), KeyPath: c.String("memory-key"),
		MaxPerCard: c.Int("max-per-card"), MaxCharged: c.Int("max-charged"), Shared: c.String("shared")}
	var err error
	if m.ReuseWithin, err = memoryDuration(c, "reuse-within"); err != nil {
		return m, err
	}
	if m.Retain, err = memoryDuration(c, "retain"); err != nil {
		return m, err
	}
	if m.Off {
		return m, nil
	}
	if m.Shared == "" {
		if m.Path, err = memoryFile(c); err != nil {
			return m, err
		}
	}
	if simulated {
		m.Endpoint = simulatorMemoryEndpoint
	} else if m.Endpoint, err = memory.Endpoint(c.String("endpoint")); err != nil {
		return m, fmt.Errorf("--endpoint: %w", err)
	}
	return m, nil
}

// checkMemory reads check's memory flags, unless err is set.
func checkMemory(c *cli.Context, err error) (job.CheckMemory, error) {
	m := job.CheckMemory{Off: c.Bool("no-memory"), KeyPath: c.String("memory-key"), Shared: c.String("shared")}
	if err != nil {
		return m, err
	}
	if m.ReuseWithin, err = memoryDuration(c, "reuse-within"); err != nil || m.Off {
		return m, err
	}
	if m.Path, err = memoryFile(c); err != nil {
		return m, err
	}
	if m.Endpoint, err = memory.Endpoint(c.String("endpoint")); err != nil {
		return m, fmt.Errorf("--endpoint: %w", err)
	}
	return m, nil
}
