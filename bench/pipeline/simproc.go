package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// The rate benchmark's service can run as a process of its own, as the
// real service runs on machines of its own: a CPU hog beside the job (or
// the job's own goroutines) then delays the job, which the benchmark is
// about, but not the clock of the service that counts its arrivals.
//
// The child serves on a Unix socket (-simnet unix, the default): over
// loopback TCP the kernel hands an arriving packet to the receiving
// socket in its soft-interrupt work, which under load it defers to a
// thread of ordinary priority, here on the job's machine and behind the
// hog, where the real service's network stack is not. Beside two busy
// loops, requests reached even a real-time simulator up to 22 ms after
// their last write over TCP (p99 0.37 ms, 400 requests); over a Unix
// socket, 0.5 ms at most.
//
// The child runs, when the system allows it, in the real-time
// class (`chrt -f simRTPrio`): it then runs as soon as a request reaches
// it, ahead of every ordinary process (the simulator is idle but for
// twenty requests a second, so it takes nothing from them). Otherwise it
// runs under `nice -n simNice` in a session of its own, with its session's
// scheduling group (Linux's autogroup, where nice values count only within
// a group) at simNice too; without even that privilege, at the normal
// priority. The figures say which (sim_sched, sim_nice, sim_group_nice).

// simRTPrio is the real-time (SCHED_FIFO) priority the simulator process
// asks for; simNice the niceness when it may not have one.
const (
	simRTPrio = 10
	simNice   = -10
)

// simReport is what the simulator process writes when its stdin closes.
type simReport struct {
	Stats   simulator.Stats
	Arrived []int64 // unix nanoseconds of each row's first accepted request, by row (memSource rows); 0: none
	Nice    int     // the niceness the process ran at
	Group   string  // its scheduling group as /proc/self/autogroup tells it ("": none)
	Sched   string  // its scheduling class: "fifo" (real time) or "other"
}

// serveSimulator is mode simulator: it serves a simulator with o's window
// and latency on loopback, prints "url=URL" on stdout, and, when stdin
// ends, stops and prints a simReport as JSON.
func serveSimulator(o options) error {
	// Linux: the session's group, at simNice when allowed (EACCES otherwise).
	os.WriteFile("/proc/self/autogroup", []byte(fmt.Sprint(simNice)), 0) //nolint:errcheck // sim_group_nice says what took
	arrived := make([]atomic.Int64, o.rows)
	inject := func(f batch.Fields, _ int) *simulator.Injection {
		if i, err := rowOf(f); err == nil && i < len(arrived) {
			arrived[i].CompareAndSwap(0, time.Now().UnixNano())
		}
		return nil
	}
	sim, err := simulator.New(simulator.Config{QPS: o.qps, LatencyMin: o.latMin, LatencyMax: o.latMax, Seed: 1, Inject: inject})
	if err != nil {
		return err
	}
	var url string
	var srv *http.Server
	if o.simNet == "unix" {
		dir, err := os.MkdirTemp("", "bankcard4e-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		sock := filepath.Join(dir, "sim.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			return err
		}
		srv = &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l) //nolint:errcheck // ErrServerClosed at Close
		url = "unix:" + sock
	} else if url, err = sim.Start("127.0.0.1:0"); err != nil {
		return err
	}
	fmt.Printf("url=%s\n", url)
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	sim.Close()
	if srv != nil {
		srv.Close()
	}
	rep := simReport{Stats: sim.Stats(), Arrived: make([]int64, len(arrived)), Nice: niceness(), Group: autogroup(), Sched: schedClass()}
	for i := range arrived {
		rep.Arrived[i] = arrived[i].Load()
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// niceness is this process's nice value. (Linux's getpriority system call
// returns 20 - nice.)
func niceness() int {
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return 0
	}
	return 20 - p
}

// autogroup is this process's scheduling group and its nice value, as
// /proc/self/autogroup says them ("/autogroup-7 nice -10"); "" when there
// is none.
func autogroup() string {
	b, err := os.ReadFile("/proc/self/autogroup")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// schedClass is this process's scheduling class, read from field 41 of
// /proc/self/stat: "fifo" (SCHED_FIFO, 1), "rr" (2) or "other".
func schedClass() string {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return "other"
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:])) // from field 3 on
	if len(f) > 38 {
		switch f[38] {
		case "1":
			return "fifo"
		case "2":
			return "rr"
		}
	}
	return "other"
}

// simProcess is a simulator running in a child process.
type simProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	client *verifier.Client
}

// startSimProcess starts this program in mode simulator, with o's rows,
// window and latency, at the higher priority it may have, and a client for it.
func startSimProcess(ctx context.Context, o options) (*simProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{self, "-mode", "simulator", "-simnet", o.simNet, "-rows", fmt.Sprint(o.rows), "-qps", fmt.Sprint(o.qps),
		"-latmin", o.latMin.String(), "-latmax", o.latMax.String()}
	if chrt, err := exec.LookPath("chrt"); err == nil && exec.Command(chrt, "-f", fmt.Sprint(simRTPrio), "true").Run() == nil {
		args = append([]string{chrt, "-f", fmt.Sprint(simRTPrio)}, args...)
	} else if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", fmt.Sprint(simNice)}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stderr = io.Discard // nice's warning when it may not raise the priority: the figures say it
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the simulator process: %w", err)
	}
	p := &simProcess{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "url=")
	if err != nil || !ok {
		p.kill()
		return nil, fmt.Errorf("the simulator process printed %q, want url=URL: %v", line, err)
	}
	cfg := verifier.Config{
		Endpoint:   url,
		Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey, Source: "the simulator's local pair"},
	}
	if sock, ok := strings.CutPrefix(url, "unix:"); ok {
		// The URL only names the host the requests are signed for; every
		// connection goes to the socket.
		cfg.Endpoint = "http://127.0.0.1:1"
		t := verifier.NewTransport()
		t.Proxy = nil
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}
		cfg.Transport = t
	}
	p.client, err = verifier.New(cfg)
	if err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// stop ends the simulator process and returns its report.
func (p *simProcess) stop() (simReport, error) {
	p.client.CloseIdleConnections()
	p.stdin.Close()
	var rep simReport
	err := json.NewDecoder(p.out).Decode(&rep)
	if werr := p.cmd.Wait(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return simReport{}, fmt.Errorf("the simulator process: %w", err)
	}
	return rep, nil
}

func (p *simProcess) kill() {
	p.stdin.Close()
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		fmt.Fprintln(os.Stderr, "pipeline: kill the simulator process:", err)
	}
	p.cmd.Wait() //nolint:errcheck // killed
}
