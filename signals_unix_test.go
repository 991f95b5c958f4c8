//go:build unix

package main

import (
	"os"
	"syscall"
)

// sigterm is the signal a service manager stops a run with.
var sigterm os.Signal = syscall.SIGTERM
