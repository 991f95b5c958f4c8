//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"github.com/bankcard4e/bankcard4e/writer"
)

// needle is one piece of personal data to look for.
type needle struct {
	field string // batch.Field*
	value string
}

// String shows the needle masked, so a failing test does not print it.
func (n needle) String() string { return n.field + " " + writer.Mask(n.field, n.value) }

// personalData reads input as verify does and returns every name, bank
// card, phone and ID number in it: normalised, as spelled in the file, and
// the digits of that spelling.
func personalData(t *testing.T, input string) []needle {
	t.Helper()
	src, err := reader.Open(input, reader.Options{NoPrecheck: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	h := src.Header()
	seen := map[needle]bool{}
	var out []needle
	add := func(field, v string) {
		v = strings.TrimSpace(v)
		min := 7 // the shortest card or phone worth hiding
		if field == batch.FieldName {
			min = 2
		}
		if utf8.RuneCountInString(v) < min {
			return
		}
		n := needle{field, v}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == 'x' || r == 'X' {
				return r
			}
			return -1
		}, s)
	}
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			field, norm string
			col         int
		}{
			{batch.FieldName, row.Fields.Name, h.Name},
			{batch.FieldBankCard, row.Fields.BankCard, h.BankCard},
			{batch.FieldPhone, row.Fields.Phone, h.Phone},
			{batch.FieldIDCard, row.Fields.IDCard, h.IDCard},
		} {
			add(f.field, f.norm)
			if f.col >= 0 && f.col < len(row.Cells) {
				raw := row.Cells[f.col]
				add(f.field, raw)
				if f.field != batch.FieldName {
					add(f.field, digits(raw))
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d personal values found in %s", len(out), input)
	}
	return out
}

// withHashes adds the hex MD5, SHA-1 and SHA-256 of each normalised value:
// an unkeyed hash of an ID number is as good as the number.
func withHashes(ns []needle) []needle {
	out := slices.Clone(ns)
	for _, n := range ns {
		a, b, c := md5.Sum([]byte(n.value)), sha1.Sum([]byte(n.value)), sha256.Sum256([]byte(n.value))
		for _, h := range [][]byte{a[:], b[:], c[:]} {
			out = append(out, needle{n.field + " hash", hex.EncodeToString(h)})
		}
	}
	return out
}

// found returns the needles that occur in data.
func found(data []byte, ns []needle) []needle {
	var hits []needle
	for _, n := range ns {
		if bytes.Contains(data, []byte(n.value)) {
			hits = append(hits, n)
		}
	}
	return hits
}

// expectNone fails the test for every needle in data.
func expectNone(t *testing.T, where string, data []byte, ns []needle) {
	t.Helper()
	for _, n := range found(data, ns) {
		t.Errorf("%s holds %v", where, n)
	}
}

// fileContents returns each file under dir by its path relative to dir;
// an .xlsx file is also opened and each of its zip parts added as
// "file.xlsx:part", since the zip compresses what the parts say.
func fileContents(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = data
		if strings.HasSuffix(p, ".xlsx") {
			for name, part := range zipParts(t, data) {
				out[rel+":"+name] = part
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zipParts unzips data.
func zipParts(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip file: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// writeMixedList writes a CSV of n made-up customers spelled the many ways
// real lists spell them, with every fourth row failing a local check and
// every seventh a copy of the row before it.
func writeMixedList(t *testing.T, dir string, n int) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"Ref", "Name", "BankCard", "Phone", "IdCard"})
	var last []string
	for i := 0; i < n; i++ {
		if i%7 == 6 && last != nil {
			w.Write(last)
			continue
		}
		f := person(i + 1000)
		card, phone, id := f.BankCard, f.Phone, f.IDCard
		switch i % 3 {
		case 1:
			card = card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]
			phone = "+86 " + phone[:3] + "-" + phone[3:7] + "-" + phone[7:]
		case 2:
			card = card[:4] + "-" + card[4:]
			phone = "0086" + phone
			id = strings.ToLower(id)
		}
		switch i % 4 {
		case 1:
			card = f.BankCard[:10] // too short
		case 3:
			id = id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0'] // wrong check character
		}
		last = []string{fmt.Sprintf("G%04d", i), f.Name, card, phone, id}
		w.Write(last)
	}
	w.Flush()
	path := filepath.Join(dir, "mixed.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// privacyInputs are the inputs the scans run over: the three samples and a
// generated list, each copied into dir.
func privacyInputs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, s := range []string{"customers.csv", "customers-gbk.csv", "customers.xlsx"} {
		data, err := os.ReadFile(filepath.Join("samples", s))
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, strings.ReplaceAll(s, ".", "_"))
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, s)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sub := filepath.Join(dir, "mixed")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	return append(out, writeMixedList(t, sub, 60))
}

// errorSome makes the simulator answer an error code for about a third of
// the rows, by their phone number.
func errorSome(f batch.Fields, n int) *simulator.Injection {
	if f.Phone != "" && strings.ContainsAny(f.Phone[len(f.Phone)-1:], "147") {
		return &simulator.Injection{Error: "InvalidParameterValue", Message: "The parameter value is invalid."}
	}
	return nil
}

// A run's console scenarios: answers, error rows, an abort and an
// interrupt, with and without the local checks.
var consoleScenarios = []struct {
	name  string
	cfg   simulator.Config
	args  []string
	ctx   func() (context.Context, func())
	codes []int // acceptable exit codes
}{
	{
		name:  "answers, faults and error rows",
		cfg:   simulator.Config{Seed: 3, Inject: errorSome, Faults: simulator.Faults{Throttle: 0.1, DropAfter: 0.05, HTTP5xx: 0.05}},
		codes: []int{exitOK, exitRowErrors},
	},
	{
		name:  "invalid rows sent with --no-precheck",
		args:  []string{"--no-precheck"},
		codes: []int{exitOK, exitRowErrors},
	},
	{
		name:  "aborted by AuthFailure",
		cfg:   simulator.Config{Faults: simulator.Faults{AuthFailure: true}},
		codes: []int{exitAborted},
	},
	{
		name:  "interrupted",
		cfg:   simulator.Config{LatencyMin: 150 * time.Millisecond, LatencyMax: 150 * time.Millisecond},
		ctx:   signalAfter(os.Interrupt, 225*time.Millisecond),
		codes: []int{exitInterrupted},
	},
}

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

// Issue 6.3, the large sheet: once the Results sheet outgrows excelize's
// in-memory chunk (16 MiB), excelize spills it to a temporary file. That
// file is 0600 inside the private 0700 directory, and both are gone after
// the run.
func TestLargeSheetSpillsToPrivateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 20 MB sheet")
	}
	setUmask(t, 0o022)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	w := &tempWatch{tmp: tmp, dir: dir}
	_, url := startSim(t, simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
		if n%50 == 0 {
			w.look()
		}
		return nil
	}})
	// 5000 rows with a 4 KB note each: about 20 MB of sheet XML.
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"Name", "BankCard", "Phone", "IdCard", "Note"})
	note := strings.Repeat("n", 4096)
	const rows = 5000
	for i := 0; i < rows; i++ {
		f := person(i)
		cw.Write([]string{f.Name, f.BankCard, f.Phone, f.IDCard, note})
	}
	cw.Flush()
	input := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(input, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.xlsx")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--qps", "100000", "--workers", "32", "--quiet", "--out", out, input)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in TMPDIR after the run: %v", left)
	}
	checkLeft(t, dir, []string{"big.csv", "out.xlsx"})
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inside) == 0 {
		t.Fatal("excelize never spilled the sheet to the private directory")
	}
	for _, m := range w.private {
		if m.Perm() != 0o700 {
			t.Errorf("temporary directory has mode %v, want 0700", m)
		}
	}
	for _, m := range w.inside {
		if m.Perm() != 0o600 {
			t.Errorf("excelize temporary file has mode %v, want 0600", m)
		}
	}
}

// recorder is a loopback front for a simulator that keeps every request
// body as it came over the wire.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) serve(t *testing.T, sim *simulator.Simulator) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, body)
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// wire returns every body and the string values inside it, as the service
// would decode them (so \u escapes do not hide a name).
func (rec *recorder) wire(t *testing.T) [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out [][]byte
	for _, b := range rec.bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("request body is not JSON: %v", err)
		}
		var vals []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				vals = append(vals, v)
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(m)
		out = append(out, b, []byte(strings.Join(vals, "\n")))
	}
	return out
}

// answers is the Status and Result of each row of a .csv output.
func answers(t *testing.T, path string) []string {
	recs := fake.ReadCSV(t, path)
	st, res := fake.Column(t, recs[0], "Status"), fake.Column(t, recs[0], "Result")
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[st]+" "+r[res])
	}
	return out
}

// Issue 6.5, --encrypt: over a whole list, rows get the same answers as
// without it (the registry customers 0), while no request body carries a
// name, card, phone or ID in clear: the four fields are ciphertext and the
// Encryption parameter says so. Both with an external simulator and
// --encryption-key, and with --simulate.
func TestEncryptEndToEnd(t *testing.T) {
	input := filepath.Join("samples", "customers.csv")
	ns := personalData(t, input)
	var mu sync.Mutex
	decrypted := map[string][]batch.Fields{}
	run := ""
	sim, _ := startSim(t, simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
		mu.Lock()
		decrypted[run] = append(decrypted[run], f)
		mu.Unlock()
		return nil
	}})
	rec := map[string]*recorder{"plain": {}, "encrypt": {}}
	dir := t.TempDir()
	key := filepath.Join(dir, "sim.pem")
	if err := os.WriteFile(key, sim.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plain", "encrypt"} {
		url := rec[name].serve(t, sim)
		args := []string{"verify", "--endpoint", url, "--qps", "500", "--quiet", "--out", filepath.Join(dir, name+".csv")}
		if name == "encrypt" {
			args = append(args, "--encrypt", "--encryption-key", key)
		}
		mu.Lock()
		run = name
		mu.Unlock()
		_, stderr, code := runApp(t, context.Background(), append(args, input)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d; stderr:\n%s", name, code, stderr)
		}
	}
	_, stderr, code := runApp(t, context.Background(), "verify", "--simulate", "--encrypt", "--quiet", "--out", filepath.Join(dir, "simulate.csv"), input)
	if code != exitOK {
		t.Fatalf("--simulate --encrypt: exit %d; stderr:\n%s", code, stderr)
	}

	want := answers(t, filepath.Join(dir, "plain.csv"))
	for i, a := range want[:7] {
		if a != "verified 0" {
			t.Errorf("registry customer in row %d: %q, want verified 0", i+1, a)
		}
	}
	for _, name := range []string{"encrypt", "simulate"} {
		if got := answers(t, filepath.Join(dir, name+".csv")); !slices.Equal(got, want) {
			t.Errorf("answers with %s differ from plain calls:\n got %q\nwant %q", name, got, want)
		}
	}

	// The simulator decrypted exactly what plain calls send.
	mu.Lock()
	key2 := func(a, b batch.Fields) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	p, e := slices.SortedFunc(slices.Values(decrypted["plain"]), key2), slices.SortedFunc(slices.Values(decrypted["encrypt"]), key2)
	mu.Unlock()
	if len(p) == 0 || !slices.Equal(p, e) {
		t.Errorf("the simulator decrypted %d calls that differ from the %d plain ones", len(e), len(p))
	}

	// Only the four fields (and CertType) are sent, never another column,
	// and a row that fails the local checks is not sent at all.
	for _, b := range rec["plain"].bodies {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for k := range m {
			if !slices.Contains([]string{"Name", "BankCard", "Phone", "IdCard", "CertType"}, k) {
				t.Errorf("a plain request body carries %q", k)
			}
		}
		for _, other := range []string{"C00", "Beijing", "Chaoyang"} {
			if bytes.Contains(b, []byte(other)) {
				t.Errorf("a request body carries %q from another column", other)
			}
		}
	}
	for _, f := range invalidFields(t, input) {
		if slices.Contains(p, f) {
			t.Errorf("a row that fails the local checks was sent: %v", needle{batch.FieldIDCard, f.IDCard})
		}
	}

	// The scan finds the values in plain bodies, and none in encrypted ones.
	if hits := found(bytes.Join(rec["plain"].wire(t), nil), ns); len(hits) == 0 {
		t.Fatal("plain request bodies show no personal data: the scan is blind")
	}
	bodies := rec["encrypt"].wire(t)
	if len(bodies) == 0 {
		t.Fatal("no encrypted request recorded")
	}
	for i, b := range bodies {
		expectNone(t, fmt.Sprintf("encrypted request body %d", i/2), b, ns)
	}
	for _, b := range rec["encrypt"].bodies {
		var body struct {
			Name, BankCard, Phone, IdCard string
			Encryption                    *struct {
				CiphertextBlob, Iv, Algorithm string
				EncryptList                   []string
			}
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatal(err)
		}
		if body.Encryption == nil || body.Encryption.Algorithm != "AES-256-CBC" ||
			!slices.Equal(slices.Sorted(slices.Values(body.Encryption.EncryptList)), []string{"BankCard", "IdCard", "Name", "Phone"}) {
			t.Errorf("Encryption parameter missing or incomplete: %+v", body.Encryption)
			continue
		}
		for _, v := range []string{body.Name, body.BankCard, body.Phone, body.IdCard} {
			ct, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(ct) == 0 || len(ct)%16 != 0 {
				t.Errorf("field %q is not AES-CBC ciphertext in base64", writer.Mask(batch.FieldBankCard, v))
			}
		}
	}
}

// maskPatterns are the shapes of masked cells (SPEC section 8); a value
// too short to keep anything is all stars.
var maskPatterns = map[string]*regexp.Regexp{
	batch.FieldName:     regexp.MustCompile(`^(.\*+|\*+)$`),
	batch.FieldBankCard: regexp.MustCompile(`^(\p{Nd}{6}\*+\p{Nd}{4}|\*+)$`),
	batch.FieldIDCard:   regexp.MustCompile(`^(\p{Nd}{6}\*+[\p{Nd}Xx]{3}[\p{Nd}Xx]|\*+)$`),
	batch.FieldPhone:    regexp.MustCompile(`^(\d{3}\*{4}\d{4}|\*+)$`),
}

// Issue 6.5, --mask: the output sheet shows the four columns masked
// (622202******1109, 166****5737, 110101********9492, 张*), and no full name,
// card, phone or ID remains anywhere in the workbook's XML, nor in a .csv
// output. Without --mask the same scan finds them.
func TestMaskedOutput(t *testing.T) {
	_, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	for _, input := range []string{filepath.Join("samples", "customers.xlsx"), filepath.Join("samples", "customers.csv")} {
		ns := personalData(t, input)
		for _, tt := range []struct {
			out  string
			mask bool
		}{{"masked.xlsx", true}, {"masked.csv", true}, {"plain.xlsx", false}} {
			t.Run(filepath.Base(input)+"/"+tt.out, func(t *testing.T) {
				out := filepath.Join(dir, filepath.Base(input)+"."+tt.out)
				args := []string{"verify", "--endpoint", url, "--qps", "500", "--quiet", "--out", out}
				if tt.mask {
					args = append(args, "--mask")
				}
				_, stderr, code := runApp(t, context.Background(), append(args, input)...)
				if code != exitOK {
					t.Fatalf("exit %d; stderr:\n%s", code, stderr)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				parts := map[string][]byte{"file": data}
				if strings.HasSuffix(out, ".xlsx") {
					parts = zipParts(t, data)
				}
				var all []needle
				for name, part := range parts {
					hits := found(part, ns)
					all = append(all, hits...)
					if tt.mask {
						for _, n := range hits {
							t.Errorf("%s: %s holds %v", filepath.Base(out), name, n)
						}
					}
				}
				if !tt.mask {
					if len(all) == 0 {
						t.Error("the unmasked workbook shows no personal data: the scan is blind")
					}
					for name, part := range parts {
						if name != "xl/worksheets/sheet1.xml" {
							expectNone(t, name, part, withHashes(ns))
						}
					}
					return
				}
				rows := outputRows(t, out)
				src, err := reader.Open(input, reader.Options{})
				if err != nil {
					t.Fatal(err)
				}
				h := src.Header()
				src.Close()
				cols := map[string]int{batch.FieldName: h.Name, batch.FieldBankCard: h.BankCard, batch.FieldPhone: h.Phone, batch.FieldIDCard: h.IDCard}
				for i, r := range rows[1:] {
					for field, c := range cols {
						if c < len(r) && r[c] != "" && !maskPatterns[field].MatchString(r[c]) {
							t.Errorf("row %d: %s %q is not masked", i+1, field, r[c])
						}
					}
				}
				first := rows[1]
				want := []string{"张*", "622202******1109", "166****5737", "110101********9492"}
				got := []string{first[cols[batch.FieldName]], first[cols[batch.FieldBankCard]], first[cols[batch.FieldPhone]], first[cols[batch.FieldIDCard]]}
				if !slices.Equal(got, want) {
					t.Errorf("first row masked as %q, want %q", got, want)
				}
			})
		}
	}
}

// outputRows reads the Results sheet of an .xlsx output, or a .csv output.
func outputRows(t *testing.T, path string) [][]string {
	t.Helper()
	if strings.HasSuffix(path, ".csv") {
		return fake.ReadCSV(t, path)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Issue 6.6, https: certificates are verified even on loopback. A server
// with a self-signed certificate never sees a request; the rows end in
// error naming the certificate, and nothing is charged.
func TestEndpointCertificateVerified(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		http.Error(w, "must not be reached", http.StatusTeapot)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	startSim(t, simulator.Config{}) // only for the credential environment
	dir := t.TempDir()
	input := writeList(t, dir, 3)
	out := filepath.Join(dir, "out.csv")
	report := filepath.Join(dir, "report.json")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", srv.URL, "--retries", "1", "--quiet",
		"--out", out, "--report", report, input)
	if code == exitOK {
		t.Fatalf("exit 0 against an untrusted certificate; stderr:\n%s", stderr)
	}
	mu.Lock()
	if requests != 0 {
		t.Errorf("%d requests reached a server with an untrusted certificate", requests)
	}
	mu.Unlock()
	if code != exitRowErrors {
		t.Errorf("exit %d, want %d (every row in error); stderr:\n%s", code, exitRowErrors, stderr)
	}
	recs := fake.ReadCSV(t, out)
	st, msg := fake.Column(t, recs[0], "Status"), fake.Column(t, recs[0], "Error")
	for i, r := range recs[1:] {
		if r[st] != "error" || !strings.Contains(r[msg], "certificate") {
			t.Errorf("row %d: %s %q, want an error naming the certificate", i+1, r[st], r[msg])
		}
	}
	if rep := fake.ReadReport(t, report); rep.Verified != 0 || rep.Charged != 0 {
		t.Errorf("report: %d verified, %d charged, want none", rep.Verified, rep.Charged)
	}
}

// Issue 6.6, http: plain http to anything but loopback is refused before
// the input is read, the journal made or a connection tried (192.0.2.0/24
// is TEST-NET-1: nothing would answer), with exit 1 and a message that says
// https is required.
func TestPlainHTTPRefused(t *testing.T) {
	for _, endpoint := range []string{
		"http://192.0.2.1",
		"http://192.0.2.1:80",
		"http://faceid.tencentcloudapi.com",
		"http://[2001:db8::1]:8080",
		"http://127.0.0.1.nip.io",
		"ftp://127.0.0.1",
	} {
		t.Run(endpoint, func(t *testing.T) {
			startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 3)
			_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", endpoint, "--timeout", "1ms", "--retries", "1",
				"--out", filepath.Join(dir, "out.csv"), input)
			if code != exitFatal {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFatal, stderr)
			}
			if !strings.Contains(stderr, "https is required") {
				t.Errorf("stderr does not say https is required:\n%s", stderr)
			}
			checkLeft(t, dir, []string{"list.csv"})
		})
	}
}

// progressLine is the whole of a progress log line: a time and counts.
var progressLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ progress: \d+ rows done, \d+ calls \(\d+\.\d/s\), \d+ in flight, charged \d+, possibly charged \d+, errors \d+$`)

// Issue 6.1, the log lines a run off a terminal writes every 30 s: they
// hold a time and counts only, and batch.Progress, all they are made from,
// has no field that could carry row data.
func TestProgressLogShowsCountsOnly(t *testing.T) {
	typ := reflect.TypeFor[batch.Progress]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Int, reflect.Int64:
		default:
			t.Errorf("batch.Progress.%s is a %v: a progress line could carry row data", f.Name, f.Type)
		}
	}
	var out lockedBuffer
	p := newProgress(&out, false)
	if p.tty {
		t.Fatal("a buffer is not a terminal")
	}
	p.every = time.Millisecond
	stop := p.start()
	p.Update(batch.Progress{Done: 12, Calls: 15, Charged: 9, PossiblyCharged: 1, Errors: 2, InFlight: 3, Elapsed: 1500 * time.Millisecond})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "12 rows done") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	stop()
	text := out.String()
	if !strings.Contains(text, "12 rows done, 15 calls (10.0/s), 3 in flight, charged 9, possibly charged 1, errors 2") {
		t.Fatalf("no progress line with the counts:\n%s", text)
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !progressLine.MatchString(line) {
			t.Errorf("progress line %q holds more than a time and counts", line)
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
