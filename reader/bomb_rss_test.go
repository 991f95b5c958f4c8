//go:build linux

package reader

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	bombs    = flag.Bool("bombs", false, "build every bomb and report the peak RSS of reading it (make bombs)")
	bombSize = flag.Int64("bombsize", 4<<10, "payload of the whitespace, shared-string and CSV-line bombs, in MiB")
)

// maxBombRSS is SPEC section 3's bound on peak memory.
const maxBombRSS = 300 << 20

// TestBombPeakMemory builds each bomb, reads it in a child process (this
// test binary, running TestBombChild) and reports the child's peak resident
// set size from its rusage. Run by make bombs; skipped without -bombs.
func TestBombPeakMemory(t *testing.T) {
	if !*bombs {
		t.Skip("run with -bombs (make bombs)")
	}
	dir := t.TempDir()
	for _, b := range bombKinds {
		p := filepath.Join(dir, b.name+b.ext)
		start := time.Now()
		if err := writeBomb(p, b.name, *bombSize<<20); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		built := time.Since(start)
		cmd := exec.Command(os.Args[0], "-test.run=^TestBombChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BOMB_FILE="+p)
		start = time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: child: %v\n%s", b.name, err, out)
			continue
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		msg := ""
		for _, line := range strings.Split(string(out), "\n") {
			if m, ok := strings.CutPrefix(line, "BOMB: "); ok {
				msg = m
			}
		}
		fmt.Printf("%-20s %8.1f MB on disk (built in %v), read in %v: peak RSS %5.1f MB: %s\n",
			b.name, float64(st.Size())/1e6, built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), float64(rss)/(1<<20), msg)
		if !strings.Contains(msg, b.want) {
			t.Errorf("%s: child said %q, want %q", b.name, msg, b.want)
		}
		if rss > maxBombRSS {
			t.Errorf("%s: peak RSS %d MB, want under %d", b.name, rss>>20, maxBombRSS>>20)
		}
		os.Remove(p)
	}
}

// TestBombChild reads the file BOMB_FILE names and prints the error that
// stopped it; it is the child of TestBombPeakMemory.
func TestBombChild(t *testing.T) {
	p := os.Getenv("BOMB_FILE")
	if p == "" {
		t.Skip("the child of TestBombPeakMemory")
	}
	err := readBomb(p)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("read = %v, want ErrTooLarge", err)
	}
	fmt.Printf("BOMB: %v\n", err)
}
