// Command measure runs a command and prints, on its standard error, one
// line of key=value figures: wall time, user and system CPU time and peak
// resident set size (getrusage of the child), and the exit code. The
// command's own output goes to the files -stdout and -stderr (default:
// discarded), so that a timing is not paced by a terminal.
//
//	go run ./bench/measure -- ./bankcard4e check big.csv
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	stdout := flag.String("stdout", "", "file for the command's standard output (default: discarded)")
	stderr := flag.String("stderr", "", "file for the command's standard error (default: discarded)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-stdout FILE] [-stderr FILE] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	var err error
	if cmd.Stdout, err = open(*stdout); err != nil {
		fail(err)
	}
	if cmd.Stderr, err = open(*stderr); err != nil {
		fail(err)
	}
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		fail(fmt.Errorf("run %s: %w", flag.Arg(0), runErr))
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		fail(errors.New("no rusage for the command"))
	}
	fmt.Fprintf(os.Stderr, "wall_s=%.3f user_s=%.3f sys_s=%.3f maxrss_mb=%.1f exit=%d\n",
		wall.Seconds(),
		time.Duration(ru.Utime.Nano()).Seconds(),
		time.Duration(ru.Stime.Nano()).Seconds(),
		float64(ru.Maxrss)/1024, // KiB on Linux
		cmd.ProcessState.ExitCode())
}

// open opens path for writing, or the null device when path is "".
func open(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	return f, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "measure:", err)
	os.Exit(1)
}
