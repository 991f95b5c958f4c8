//go:build !unix

package main

import "os"

// sigterm is nil where processes are not stopped with SIGTERM: the tests
// that send it are skipped.
var sigterm os.Signal
