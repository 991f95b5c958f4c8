//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// Issue 6.1: verify and check never write a name or a full ID, card or
// phone number (normalised or as spelled in the input) to stdout or stderr,
// nor verify to its report or metrics file (not even hashed), whatever
// becomes of the rows. Progress is on (stderr is not a terminal, so the
// log-line mode).
func TestConsoleShowsNoPersonalData(t *testing.T) {
	inputs := privacyInputs(t, t.TempDir())
	for _, input := range inputs {
		all := personalData(t, input)
		ns := all
		base := filepath.Base(input)
		for _, sc := range consoleScenarios {
			t.Run(base+"/verify/"+sc.name, func(t *testing.T) {
				_, url := startSim(t, sc.cfg)
				dir := t.TempDir()
				ext := ".csv"
				if strings.HasSuffix(input, ".xlsx") {
					ext = ".xlsx"
				}
				out := filepath.Join(dir, "out"+ext)
				args := append([]string{"verify", "--endpoint", url, "--qps", "500", "--workers", "4", "--retries", "3",
					"--out", out, "--report", filepath.Join(dir, "r.json"), "--metrics", filepath.Join(dir, "m.prom")}, sc.args...)
				ctx, cancel := context.Background(), func() {}
				if sc.ctx != nil {
					ctx, cancel = sc.ctx()
				}
				defer cancel()
				stdout, stderr, code := runApp(t, ctx, append(args, input)...)
				if !slices.Contains(sc.codes, code) {
					t.Fatalf("exit %d, want one of %v; stderr:\n%s", code, sc.codes, stderr)
				}
				expectNone(t, "stdout", []byte(stdout), ns)
				expectNone(t, "stderr", []byte(stderr), ns)
				if strings.TrimSpace(stderr) == "" {
					t.Error("stderr is empty: nothing was scanned")
				}
				for _, f := range []string{"r.json", "m.prom"} {
					data, err := os.ReadFile(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					expectNone(t, f, data, withHashes(all))
				}
				// The scan finds what is there: the .csv output carries the
				// input cells as they were.
				if ext == ".csv" {
					data, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					if len(found(data, ns)) == 0 {
						t.Error("the scan finds no personal data even in the unmasked output")
					}
				}
			})
		}
		t.Run(base+"/check", func(t *testing.T) {
			dir := t.TempDir()
			report := filepath.Join(dir, "check.json")
			stdout, stderr, code := runApp(t, context.Background(), "check", "--report", report, input)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "invalid rows:") {
				t.Fatalf("check lists no invalid rows, so their reasons went unscanned:\n%s", stdout)
			}
			expectNone(t, "stdout", []byte(stdout), ns)
			expectNone(t, "stderr", []byte(stderr), ns)
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			expectNone(t, "check --report", data, ns)
		})
	}
}

// A distinctive credential, so that a scan can find any copy of it.
const (
	privacySecretID  = "AKIDprivacyTestId00000000000000000000"
	privacySecretKey = "PrivacyTestSecretKey7f3c9e21d4b8a6"
	privacyToken     = "PrivacyTestSessionToken5b7e2a91c3d8"
	otherSecretKey   = "PrivacyTestWrongKey0c6d2e8f4a1b9e57"
)

// Issue 6.2: neither the secret key nor the session token appears on the
// console or in any file the run leaves: output (each xlsx part too),
// journal, report, metrics. Both a run with error rows and one whose key
// the service refuses are scanned.
func TestSecretNeverWritten(t *testing.T) {
	tests := []struct {
		name      string
		serverKey string // the key the simulator accepts
		cfg       simulator.Config
		want      int
	}{
		{name: "error rows keep the journal", serverKey: privacySecretKey, cfg: simulator.Config{Inject: errorSome}, want: exitRowErrors},
		{name: "key refused", serverKey: otherSecretKey, want: exitAborted},
	}
	secrets := []needle{{"secret key", privacySecretKey}, {"session token", privacyToken}}
	for _, tt := range tests {
		for _, ext := range []string{".xlsx", ".csv"} {
			t.Run(tt.name+"/"+ext, func(t *testing.T) {
				cfg := tt.cfg
				cfg.SecretID, cfg.SecretKey = privacySecretID, tt.serverKey
				_, url := startSim(t, cfg)
				t.Setenv("TENCENTCLOUD_SECRET_KEY", privacySecretKey)
				t.Setenv("TENCENTCLOUD_SESSION_TOKEN", privacyToken)
				dir := t.TempDir()
				input := writeMixedList(t, dir, 40)
				stdout, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "500", "--workers", "4",
					"--out", filepath.Join(dir, "out"+ext), "--report", filepath.Join(dir, "report.json"),
					"--metrics", filepath.Join(dir, "metrics.prom"), input)
				if code != tt.want {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
				}
				expectNone(t, "stdout", []byte(stdout), secrets)
				expectNone(t, "stderr", []byte(stderr), secrets)
				files := fileContents(t, dir)
				for _, want := range []string{"out" + ext, "out" + ext + ".journal", "report.json", "metrics.prom"} {
					if _, ok := files[want]; !ok {
						t.Errorf("no %s to scan; files: %v", want, slices.Sorted(mapsKeys(files)))
					}
				}
				for name, data := range files {
					expectNone(t, name, data, secrets)
				}
			})
		}
	}
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// invalidFields are the fields of the rows of input that fail the local
// checks.
func invalidFields(t *testing.T, input string) []batch.Fields {
	t.Helper()
	src, err := reader.Open(input, reader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []batch.Fields
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Problem != nil {
			out = append(out, row.Fields)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no invalid rows", input)
	}
	return out
}
