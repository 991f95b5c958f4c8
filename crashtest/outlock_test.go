package crashtest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// Two processes started together with the same --out and different
// journals: the lock on the output lets one run and refuses the other
// before it sends anything, so the service charges no more than one run's
// calls (the journal's own lock would let both pay).
func TestSameOutputTwoProcesses(t *testing.T) {
	bin := needBinary(t)
	// Slow answers keep the first run going while the second starts.
	sim, url := startSim(t, simulator.Config{LatencyMin: 20 * time.Millisecond, LatencyMax: 40 * time.Millisecond})
	dir := t.TempDir()
	input, distinct := writeList(t, dir, 200)
	out := filepath.Join(dir, "out.csv")
	type result struct {
		code   int
		stderr string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		cmd, stderr := command(t, bin, dir, "verify", "--endpoint", url, "--quiet", "--qps", "50",
			"--out", out, "--journal", filepath.Join(dir, []string{"a.journal", "b.journal"}[i]), input)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Run()
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee):
				results[i].code = ee.ExitCode()
			default:
				t.Error(err)
			}
			results[i].stderr = stderr.String()
		}()
	}
	wg.Wait()
	st := quiesce(t, sim)
	ok, refused := 0, 0
	for _, r := range results {
		switch r.code {
		case 0:
			ok++
		case 1:
			refused++
			if !strings.Contains(r.stderr, "no call was sent") && !strings.Contains(r.stderr, "another run") {
				t.Errorf("the refused run does not say why:\n%s", r.stderr)
			}
		default:
			t.Errorf("exit %d:\n%s", r.code, r.stderr)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("%d runs finished and %d were refused, want one of each:\n%s\n---\n%s", ok, refused, results[0].stderr, results[1].stderr)
	}
	if st.Charged > distinct {
		t.Errorf("the service charged %d calls for %d distinct customers: both runs paid", st.Charged, distinct)
	}
}
