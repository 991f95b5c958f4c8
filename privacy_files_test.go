//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// Issue 6.4: a journal left by an interrupted or unfinished run holds row
// numbers and outcomes, and no name, ID, card or phone number, neither as
// written nor normalised nor as an unkeyed hash.
func TestJournalHoldsNoPersonalData(t *testing.T) {
	inputs := privacyInputs(t, t.TempDir())
	scenarios := []struct {
		name string
		cfg  simulator.Config
		ctx  func() (context.Context, func())
		want int
	}{
		{name: "interrupted", cfg: simulator.Config{LatencyMin: 150 * time.Millisecond, LatencyMax: 150 * time.Millisecond},
			ctx: signalAfter(os.Interrupt, 225*time.Millisecond), want: exitInterrupted},
		{name: "error rows", cfg: simulator.Config{Inject: errorSome}, want: exitRowErrors},
	}
	for _, input := range inputs {
		ns := withHashes(personalData(t, input))
		for _, sc := range scenarios {
			t.Run(filepath.Base(input)+"/"+sc.name, func(t *testing.T) {
				_, url := startSim(t, sc.cfg)
				dir := t.TempDir()
				out := filepath.Join(dir, "out.csv")
				ctx, cancel := context.Background(), func() {}
				if sc.ctx != nil {
					ctx, cancel = sc.ctx()
				}
				defer cancel()
				_, stderr, code := runApp(t, ctx, "verify", "--endpoint", url, "--qps", "500", "--workers", "4", "--quiet", "--out", out, input)
				if code != sc.want {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, sc.want, stderr)
				}
				data, err := os.ReadFile(out + ".journal")
				if err != nil {
					t.Fatalf("the journal must stay: %v", err)
				}
				if !bytes.Contains(data, []byte("\nF ")) {
					t.Fatalf("the journal holds no final outcome, so its scan proves little:\n%s", data)
				}
				expectNone(t, "journal", data, ns)
			})
		}
	}
}

// tempWatch records, from the simulator's Inject hook (so while the run
// goes), what the run keeps in the temporary directory and beside the
// output.
type tempWatch struct {
	tmp, dir string

	mu       sync.Mutex
	private  []fs.FileMode // modes of the bankcard4e-* directories seen
	inside   []fs.FileMode // modes of the files in them
	partials []fs.FileMode // modes of the temporary output and journal files
}

// look records what is there now.
func (w *tempWatch) look() {
	dirs, _ := filepath.Glob(filepath.Join(w.tmp, "bankcard4e-*"))
	parts, _ := filepath.Glob(filepath.Join(w.dir, ".out.*.tmp-*"))
	if j, err := os.Stat(filepath.Join(w.dir, "out.xlsx.journal")); err == nil {
		_ = j
		parts = append(parts, filepath.Join(w.dir, "out.xlsx.journal"))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil {
			w.private = append(w.private, fi.Mode())
		}
		files, _ := os.ReadDir(d)
		for _, f := range files {
			if fi, err := f.Info(); err == nil {
				w.inside = append(w.inside, fi.Mode())
			}
		}
	}
	for _, p := range parts {
		if fi, err := os.Stat(p); err == nil {
			w.partials = append(w.partials, fi.Mode())
		}
	}
}

// setUmask sets the process umask for the test.
func setUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// Issue 6.3: with umask 022 in force, the output, journal, report and
// metrics files are created 0600; while the run goes, its temporary files
// sit in one private 0700 directory under TMPDIR (and the output's own
// temporary file beside it is 0600); after the run that directory is gone,
// whether the run finished, ended with errors, was aborted or interrupted,
// and no temporary file is left beside the output.
func TestFileModesAndPrivateTempDir(t *testing.T) {
	setUmask(t, 0o022)
	tests := []struct {
		name  string
		inj   func(w *tempWatch) func(batch.Fields, int) *simulator.Injection
		lat   time.Duration
		ctx   func() (context.Context, func())
		want  int
		files []string // left in the output directory, besides the input
	}{
		{
			name:  "every row final",
			want:  exitOK,
			files: []string{"out.xlsx", "report.json", "metrics.prom"},
		},
		{
			name: "rows in error",
			inj: func(w *tempWatch) func(batch.Fields, int) *simulator.Injection {
				return func(f batch.Fields, n int) *simulator.Injection { return errorSome(f, n) }
			},
			want:  exitRowErrors,
			files: []string{"out.xlsx", "out.xlsx.journal", "report.json", "metrics.prom"},
		},
		{
			name: "aborted",
			inj: func(w *tempWatch) func(batch.Fields, int) *simulator.Injection {
				return func(f batch.Fields, n int) *simulator.Injection {
					if n > 8 {
						return &simulator.Injection{Error: "AuthFailure.SecretIdNotFound"}
					}
					return nil
				}
			},
			want:  exitAborted,
			files: []string{"out.xlsx", "out.xlsx.journal", "report.json", "metrics.prom"},
		},
		{
			name:  "interrupted",
			lat:   150 * time.Millisecond,
			ctx:   signalAfter(os.Interrupt, 225*time.Millisecond),
			want:  exitInterrupted,
			files: []string{"out.xlsx", "out.xlsx.journal", "report.json", "metrics.prom"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			dir := t.TempDir()
			w := &tempWatch{tmp: tmp, dir: dir}
			cfg := simulator.Config{LatencyMin: tt.lat, LatencyMax: tt.lat}
			cfg.Inject = func(f batch.Fields, n int) *simulator.Injection {
				w.look()
				if tt.inj != nil {
					return tt.inj(w)(f, n)
				}
				return nil
			}
			_, url := startSim(t, cfg)
			input := writeList(t, dir, 40)
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, stderr, code := runApp(t, ctx, "verify", "--endpoint", url, "--qps", "500", "--workers", "4", "--quiet",
				"--out", filepath.Join(dir, "out.xlsx"), "--report", filepath.Join(dir, "report.json"),
				"--metrics", filepath.Join(dir, "metrics.prom"), input)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			checkLeft(t, dir, append([]string{"list.csv"}, tt.files...))
			for _, f := range tt.files {
				fi, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Error(err)
					continue
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("%s has mode %v, want 0600", f, got)
				}
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in TMPDIR after the run: %v", left)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.private) == 0 {
				t.Fatal("no bankcard4e-* directory under TMPDIR while the run went")
			}
			for _, m := range w.private {
				if m.Perm() != 0o700 || !m.IsDir() {
					t.Errorf("temporary directory has mode %v, want drwx------", m)
				}
			}
			for _, m := range slices.Concat(w.inside, w.partials) {
				if m.Perm() != 0o600 {
					t.Errorf("temporary file has mode %v, want 0600", m)
				}
			}
			if len(w.partials) == 0 {
				t.Error("never saw the journal or the output's temporary file while the run went")
			}
		})
	}
}

// checkLeft fails unless dir holds exactly the files want.
func checkLeft(t *testing.T, dir string, want []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("files left in the output directory: %v, want %v", got, want)
	}
}
