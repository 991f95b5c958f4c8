package shared

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests re-execute their own binary as a second (third, fourth) job on
// the same Redis: childEnv names what the child does, and its parameters
// come in the environment too.
const childEnv = "BANKCARD4E_SHARED_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "gate":
		os.Exit(childGate())
	case "card":
		os.Exit(childCard())
	default:
		fmt.Fprintf(os.Stderr, "unknown child %q\n", os.Getenv(childEnv))
		os.Exit(2)
	}
}

// child runs this test binary as a child doing what, with env added, and
// returns its standard output lines once it exits.
func startChild(t testing.TB, what string, env ...string) func() []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + what}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	return func() []string {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %s: %v\n%s", what, err, errb.String())
		}
		var lines []string
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		return lines
	}
}

func envInt(name string) int64 {
	n, err := strconv.ParseInt(os.Getenv(name), 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return n
}

func envFloat(name string) float64 {
	f, err := strconv.ParseFloat(os.Getenv(name), 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return f
}

// childGate is one job taking starts from the gate: from START (Unix ns)
// until END, WORKERS workers behind a local pacer of QPS, each start
// printed as Unix ns.
func childGate() int {
	u, err := ParseURL(os.Getenv("URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	qps := envFloat("QPS")
	g, err := OpenGate(context.Background(), u, os.Getenv("SECRET_ID"), qps, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer g.Close()
	starts, err := runJob(g, qps, int(envInt("WORKERS")), time.Unix(0, envInt("START")), time.Unix(0, envInt("END")))
	for _, s := range starts {
		fmt.Println(s.UnixNano())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// pacer stands for the run's own limiter in a job: starts evenly spaced
// at qps, served in arrival order, before the shared gate.
type pacer struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration
}

func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	return sleepCtx(ctx, time.Until(slot))
}

// runJob runs workers that each wait for the job's pacer, then the gate,
// and record the start, from start until end; it returns every start.
func runJob(g interface{ Wait(context.Context) error }, qps float64, workers int, start, end time.Time) ([]time.Time, error) {
	time.Sleep(time.Until(start))
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	p := &pacer{interval: time.Duration(float64(time.Second+10*time.Millisecond) / qps)}
	var mu sync.Mutex
	var starts []time.Time
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if p.wait(ctx) != nil {
					return
				}
				err := g.Wait(ctx)
				now := time.Now()
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
					return
				}
				mu.Lock()
				starts = append(starts, now)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond) // the call itself
			}
		}()
	}
	wg.Wait()
	return starts, firstErr
}

// windowStats returns the most starts in any half-open one-second window
// [t, t+1s) and the rate (starts − 1) / (last − first).
func windowStats(starts []time.Time) (most int, rate float64) {
	if len(starts) < 2 {
		return len(starts), 0
	}
	ts := append([]time.Time(nil), starts...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	j := 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Second {
			j++
		}
		most = max(most, i-j+1)
	}
	return most, float64(len(ts)-1) / ts[len(ts)-1].Sub(ts[0]).Seconds()
}

func parseStarts(t testing.TB, lines []string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, l := range lines {
		n, err := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", l)
		}
		out = append(out, time.Unix(0, n))
	}
	return out
}
