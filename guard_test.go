package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// --report and --metrics that cannot be written are found out before the
// first call: exit 1 and nothing sent, not a paid run whose monitoring
// silently stops.
func TestUnwritableSideFilesRefusedBeforeAnyCall(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	paths := map[string]string{"missing dir": filepath.Join(dir, "nope", "x")}
	if os.Geteuid() != 0 { // root writes anywhere
		paths["read-only dir"] = filepath.Join(ro, "x")
	}
	for _, flag := range []string{"--report", "--metrics"} {
		for name, path := range paths {
			t.Run(flag+" "+name, func(t *testing.T) {
				sim, url := startSim(t, simulator.Config{})
				input := writeList(t, t.TempDir(), 10)
				_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", url, "--quiet", "--qps", "500", flag, path, input)
				if code != exitFatal || !strings.Contains(stderr, path) || !strings.Contains(stderr, "no call was sent") {
					t.Errorf("exit %d, want 1 naming %s:\n%s", code, path, stderr)
				}
				if n := sim.Stats().Requests; n != 0 {
					t.Errorf("%d requests sent before finding %s unwritable", n, flag)
				}
			})
		}
	}
}

// An existing --out that is not a result of this input — another file, an
// input workbook — is left as it is and nothing is sent; --force replaces
// it.
func TestForeignOutputRefusedUnlessForce(t *testing.T) {
	workbook, err := os.ReadFile(filepath.Join("samples", "customers.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"notes.csv": []byte("my notes,keep them\n"), "list.xlsx": workbook} {
		t.Run(name, func(t *testing.T) {
			sim, url := startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 10)
			out := filepath.Join(dir, name)
			if err := os.WriteFile(out, content, 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"verify", "--endpoint", url, "--quiet", "--qps", "500", "--out", out}
			_, stderr, code := runApp(t, context.Background(), append(args, input)...)
			if code != exitFatal || !strings.Contains(stderr, "--force") {
				t.Fatalf("exit %d, want 1 with a hint to --force:\n%s", code, stderr)
			}
			if !bytes.Equal(mustRead(t, out), content) || sim.Stats().Requests != 0 {
				t.Fatalf("the refused run changed %s or sent %d requests", name, sim.Stats().Requests)
			}
			if _, stderr, code := runApp(t, context.Background(), append(args, "--force", input)...); code != exitOK {
				t.Fatalf("--force: exit %d\n%s", code, stderr)
			}
			if bytes.Equal(mustRead(t, out), content) {
				t.Error("--force did not replace the file")
			}
		})
	}
}

// A cell longer than an .xlsx cell holds is refused before any call when
// the output is .xlsx, with a hint to use .csv; a .csv output keeps it
// whole.
func TestLongCellRefusedForXLSXOutput(t *testing.T) {
	sim, url := startSim(t, simulator.Config{})
	dir := t.TempDir()
	long := strings.Repeat("备", 40000)
	var b strings.Builder
	b.WriteString("Name,BankCard,Phone,IdCard,Note\n")
	for i := range 3 {
		f := person(i)
		note := "short"
		if i == 2 {
			note = long
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s\n", f.Name, f.BankCard, f.Phone, f.IDCard, note)
	}
	input := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "--endpoint", url, "--quiet", "--qps", "500"}
	_, stderr, code := runApp(t, context.Background(), append(args, "--out", filepath.Join(dir, "out.xlsx"), input)...)
	if code != exitFatal || !strings.Contains(stderr, "line 4") || !strings.Contains(stderr, "out.csv") {
		t.Fatalf("exit %d, want 1 naming line 4 and the .csv output:\n%s", code, stderr)
	}
	if n := sim.Stats().Requests; n != 0 {
		t.Fatalf("%d requests sent for a list whose output cannot hold it", n)
	}
	out := filepath.Join(dir, "out.csv")
	if _, stderr, code := runApp(t, context.Background(), append(args, "--out", out, input)...); code != exitOK {
		t.Fatalf(".csv output: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(string(mustRead(t, out)), long) {
		t.Error("the .csv output does not hold the long cell whole")
	}
}
