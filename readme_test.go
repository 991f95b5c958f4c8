package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// readmeCommands returns the command lines of README.md's ```sh blocks:
// the ones a reader is told to run as they are. (Blocks marked ```text
// need a real account and are not run.)
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.TrimSpace(line) != "":
			cmds = append(cmds, strings.TrimSpace(line))
		}
	}
	return cmds
}

// Every command the README tells a user to run works, over a copy of samples/.
func TestReadmeCommands(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) < 2 || cmds[0] != "go run . verify --simulate samples/customers.csv" || !strings.HasPrefix(cmds[1], "go test ") {
		t.Fatalf("README must start with the simulator run and the test command, got %q", cmds)
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "samples"), os.DirFS("samples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for i, cmd := range cmds {
		if strings.HasPrefix(cmd, "go test ") {
			continue // this very test run
		}
		args, ok := strings.CutPrefix(cmd, "go run . ")
		if !ok {
			t.Errorf("README command %q is neither `go run . …` nor `go test …`", cmd)
			continue
		}
		t.Run(args, func(t *testing.T) {
			_, stderr, code := runApp(t, context.Background(), strings.Fields(args)...)
			if code != exitOK {
				t.Fatalf("%s: exit %d\n%s", cmd, code, stderr)
			}
			if i == 0 {
				checkQuickStart(t)
			}
		})
	}
}

// checkQuickStart checks the promise of the README's first command: a
// results workbook with both sheets beside the sample.
func checkQuickStart(t *testing.T) {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join("samples", "customers.results.xlsx"))
	if err != nil {
		t.Fatalf("the first README command did not write samples/customers.results.xlsx: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "Results" || got[1] != "Summary" {
		t.Errorf("sheets %v, want Results and Summary", got)
	}
	if rows, err := f.GetRows("Results"); err != nil || len(rows) != 27 {
		t.Errorf("Results has %d rows (%v), want the header and the 26 rows of samples/customers.csv", len(rows), err)
	}
}
