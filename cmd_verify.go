package main

import "github.com/urfave/cli/v2"

// verifyCommand is a placeholder until the command is built.
func verifyCommand() *cli.Command {
	return &cli.Command{Name: "verify", Action: func(*cli.Context) error { return withCode(exitFatal, errNotBuilt) }}
}
