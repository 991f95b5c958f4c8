package crashtest

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// buildDir holds the binary built for this test process; TestMain removes it.
var buildDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "crashtest-bin-") })

// binary builds bankcard4e from the module root (..) once per test process
// and returns its path.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go command on PATH to build the binary: %w", err)
	}
	bin := filepath.Join(dir, "bankcard4e")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := buildDir(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// needBinary skips under -short and returns the built binary.
func needBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("crash tests build and run the binary; skipped with -short")
	}
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// startSim starts a simulator on loopback.
func startSim(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	return fake.StartSimulator(t, cfg)
}

// quiesce waits until every request the simulator received has ended
// (answered, dropped or cancelled), so its counts are final.
func quiesce(t *testing.T, sim *simulator.Simulator) simulator.Stats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := sim.Stats()
		if running(st) == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulator still has %d requests running: %+v", running(st), st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running is the number of requests the simulator is still handling.
func running(st simulator.Stats) int {
	return st.Requests - st.Answered - st.DroppedBefore - st.DroppedAfter - st.Cancelled
}

// writeList writes dir/list.csv with fake.WriteList's n rows (every fifth a
// duplicate). It returns the path and the number of distinct customers
// (the calls a clean run makes).
func writeList(t *testing.T, dir string, n int) (string, int) {
	t.Helper()
	var b bytes.Buffer
	distinct, err := fake.WriteList(&b, n)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, distinct
}

// command is the verify subprocess in dir, with the simulator's local
// credential, a private HOME and TMPDIR, and no other Tencent Cloud
// credential from the environment.
func command(t *testing.T, bin, dir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TENCENTCLOUD_") || k == "HOME" || k == "TMPDIR" || k == "XDG_STATE_HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"TENCENTCLOUD_SECRET_ID="+simulator.LocalSecretID,
		"TENCENTCLOUD_SECRET_KEY="+simulator.LocalSecretKey,
		"HOME="+home, "TMPDIR="+home,
		"XDG_STATE_HOME="+filepath.Join(dir, "state")) // the memory of earlier answers: kept, so not in TMPDIR
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	return cmd, &stderr
}

// journalScan reads the journal at path independently of package journal:
// it counts the sound lines (checksum holds, "\n" present; after the header
// the CRC-32 runs over the journal id of the header, then the record) and,
// among the
// attempt (A) records after the first skip sound lines, those that no later
// answer (N) or final (F) record covers: the calls in flight when the
// process that wrote them died. attempts counts every A record.
func journalScan(path string, skip int) (lines, inFlight, attempts int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, err
	}
	open := map[[2]int]bool{} // row, attempt
	var key uint32            // the CRC of the header's journal id, for every later line
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // torn last line
		}
		line := data[:i]
		data = data[i+1:]
		if len(line) < 10 || line[len(line)-9] != ' ' {
			continue
		}
		body := line[:len(line)-9]
		sum, perr := strconv.ParseUint(string(line[len(line)-8:]), 16, 32)
		if perr != nil || uint32(sum) != crc32.Update(key, crc32.IEEETable, body) {
			continue
		}
		lines++
		if lines == 1 { // the header: "bankcard4e-journal 2 <id> {…}"
			if h := strings.SplitN(string(body), " ", 4); len(h) == 4 {
				key = crc32.ChecksumIEEE([]byte(h[2]))
			}
			continue
		}
		f := strings.SplitN(string(body), " ", 3)
		if len(f) < 3 {
			continue
		}
		row, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "A":
			attempts++
			if lines > skip {
				n, _ := strconv.Atoi(f[2])
				open[[2]int{row, n}] = true
			}
		case "N":
			n, _ := strconv.Atoi(f[2])
			delete(open, [2]int{row, n})
		case "F":
			for k := range open {
				if k[0] == row {
					delete(open, k)
				}
			}
		}
	}
	return lines, len(open), attempts, nil
}
