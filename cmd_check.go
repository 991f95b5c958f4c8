package main

import "github.com/urfave/cli/v2"

// checkCommand is a placeholder until the command is built.
func checkCommand() *cli.Command {
	return &cli.Command{Name: "check", Action: func(*cli.Context) error { return withCode(exitFatal, errNotBuilt) }}
}
