package main

import "github.com/urfave/cli/v2"

// templateCommand is a placeholder until the command is built.
func templateCommand() *cli.Command {
	return &cli.Command{Name: "template", Action: func(*cli.Context) error { return withCode(exitFatal, errNotBuilt) }}
}
