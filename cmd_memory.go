package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/batch"
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
				Flags: append(memoryFlags(),
					&cli.StringFlag{Name: "sheet", Usage: "XLSX sheet `NAME` (default: the first sheet with a recognised header row)"},
					&cli.GenericFlag{Name: "column", Value: &memoryColumns{}, Usage: "map `FIELD=HEADER` (fields: name, bankcard, phone, idcard, certtype); repeatable"},
				),
				Action: runMemoryForget,
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

// memoryColumns collects repeated --column values as given.
type memoryColumns []string

func (c *memoryColumns) Set(v string) error { *c = append(*c, v); return nil }
func (c *memoryColumns) String() string     { return strings.Join(*c, " ") }

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
	printMemoryStats(c.App.Writer, s.Path(), st)
	return nil
}

// printMemoryStats prints st: counts, times and endpoints only.
func printMemoryStats(w io.Writer, path string, st memory.Stats) {
	fmt.Fprintf(w, "memory      %s\n", path)
	fmt.Fprintf(w, "entries     %d\n", st.Entries)
	if st.Entries > 0 {
		fmt.Fprintf(w, "oldest      %s\n", st.Oldest.Format(time.RFC3339))
		fmt.Fprintf(w, "newest      %s\n", st.Newest.Format(time.RFC3339))
	}
	for _, k := range sortedKeys(st.ByEndpoint) {
		fmt.Fprintf(w, "endpoint    %s: %d\n", k, st.ByEndpoint[k])
	}
	for _, k := range sortedKeys(st.ByResult) {
		fmt.Fprintf(w, "Result %-4s %d\n", k, st.ByResult[k])
	}
	fmt.Fprintf(w, "card guard  %d calls counted in the last 24 h\n", st.CardCalls)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
	columns, err := reader.ParseColumns(*c.Generic("column").(*memoryColumns))
	if err != nil {
		return withCode(exitFatal, err)
	}
	s, err := openMemoryAdmin(c)
	if s == nil {
		return err
	}
	defer s.Close()
	// Read the whole list before deleting anything: a list that breaks
	// off half-way forgets nobody. Rows failing the format checks are
	// forgotten too, as verify --no-precheck may have sent them.
	r, err := reader.Open(list, reader.Options{Sheet: c.String("sheet"), Columns: columns, NoPrecheck: true})
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer r.Close()
	var keys []batch.MemoryKey
	rows := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return withCode(exitFatal, err)
		}
		rows++
		keys = append(keys, s.RowKey(row.Fields))
		if row.Fields.BankCard != "" {
			keys = append(keys, s.CardKey(row.Fields.BankCard))
		}
	}
	f, err := s.Forget(c.Context, keys)
	if err != nil {
		return withCode(exitFatal, err)
	}
	fmt.Fprintf(c.App.Writer, "forgot %d answers and %d card-guard counts for the %d rows of %s\n", f.Answers, f.CardCalls, rows, list)
	return nil
}
