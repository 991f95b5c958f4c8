package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/job"
	"github.com/bankcard4e/bankcard4e/reader"
)

// The options that several commands share, each defined once so that its
// type, placeholder and wording are the same everywhere.

// inputFlags are how verify and check read INPUT; noPrecheck says what
// --no-precheck does in that command.
func inputFlags(noPrecheck string) []cli.Flag {
	return append(listFlags(), boolFlag("no-precheck", noPrecheck))
}

// listFlags say where a list's columns are: verify, check and memory forget.
func listFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sheet", Usage: "XLSX input sheet `NAME`", DefaultText: "the first sheet with a recognised header row"},
		&cli.GenericFlag{Name: "column", Value: &columnSpecs{}, Usage: "map `FIELD=HEADER` (fields: name, bankcard, phone, idcard, certtype); repeatable", DefaultText: "the header aliases"},
		&cli.IntFlag{Name: "header-row", Usage: "the header is row `N` of the file (or sheet), wherever it is", DefaultText: "searched in the first 10 non-empty rows"},
	}
}

// costOptions reads --qps, --price and --currency, unless err is set:
// then it returns err, so a command can read its options in a row and
// check once.
func costOptions(c *cli.Context, err error) (qps float64, price *float64, currency string, _ error) {
	if err != nil {
		return 0, nil, "", err
	}
	if qps = c.Float64("qps"); qps <= 0 {
		return 0, nil, "", fmt.Errorf("--qps %v: want a rate above 0", qps)
	}
	if price, err = job.ParsePrice(c.String("price")); err == nil {
		currency, err = job.ParseCurrency(c.String("currency"))
	}
	return qps, price, currency, err
}

// readOptions is listOptions with --no-precheck, unless err is set.
func readOptions(c *cli.Context, err error) (reader.Options, error) {
	if err != nil {
		return reader.Options{}, err
	}
	o, err := listOptions(c)
	o.NoPrecheck = c.Bool("no-precheck")
	return o, err
}

// listOptions reads the flags of listFlags.
func listOptions(c *cli.Context) (reader.Options, error) {
	cols, err := reader.ParseColumns(*c.Generic("column").(*columnSpecs))
	if err != nil {
		return reader.Options{}, err
	}
	return reader.Options{Sheet: c.String("sheet"), Columns: cols, HeaderRow: c.Int("header-row")}, nil
}

func currencyFlag() cli.Flag {
	return &cli.StringFlag{Name: "currency", Usage: "`CODE` shown next to every cost (e.g. CNY, USD)", DefaultText: "none"}
}

func qpsFlag(usage string) cli.Flag {
	return &cli.Float64Flag{Name: "qps", Value: 20, Usage: "`N` " + usage}
}

// boolFlag is an option that is off unless given: its help shows no
// default.
func boolFlag(name, usage string, aliases ...string) cli.Flag {
	return &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage, DisableDefaultText: true}
}

func priceFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "price", Usage: "price `AMOUNT` of one charged call, " + usage, DefaultText: "none: no cost"}
}

func reportFlag() cli.Flag {
	return &cli.StringFlag{Name: "report", Usage: "write a machine-readable summary to `FILE.json`"}
}

// columnSpecs collects repeated --column values as given (a string slice
// flag would split headers at commas).
type columnSpecs []string

func (c *columnSpecs) Set(v string) error { *c = append(*c, v); return nil }
func (c *columnSpecs) String() string     { return strings.Join(*c, " ") }

// oneInput is the command's one INPUT argument. Options after it are not
// parsed (the flag parser stops at the first argument), so they are
// refused with a hint rather than silently ignored.
func oneInput(c *cli.Context, cmd string) (string, error) {
	args := c.Args().Slice()
	for _, a := range args[min(1, len(args)):] {
		if strings.HasPrefix(a, "-") {
			return "", fmt.Errorf("%s: option %s comes after INPUT %q and would be ignored: put every option before INPUT (%s [options] INPUT)", cmd, a, args[0], cmd)
		}
	}
	if len(args) != 1 {
		return "", fmt.Errorf("%s takes one INPUT file, got %d arguments", cmd, len(args))
	}
	return args[0], nil
}
