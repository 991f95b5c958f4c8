package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bankcard4e/bankcard4e/writer"
)

// templateCommand writes an empty input workbook whose four columns are
// formatted as Text, so that Excel keeps every digit typed into them.
func templateCommand() *cli.Command {
	return &cli.Command{
		Name:      "template",
		Usage:     "write an empty input workbook, columns formatted as Text",
		ArgsUsage: "FILE.xlsx",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return withCode(exitFatal, errors.New("template: want exactly one FILE.xlsx"))
			}
			path := c.Args().First()
			if err := writer.WriteTemplate(path); err != nil {
				return withCode(exitFatal, err)
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: fill in one customer per row below the header\n", path)
			return nil
		},
	}
}
