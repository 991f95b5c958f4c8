package journal

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testMeta is the meta of the runs in these tests.
func testMeta() Meta {
	return Meta{
		InputSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		InputSize:   1234,
		Options:     map[string]string{"endpoint": "https://faceid.intl.tencentcloudapi.com", "no_precheck": "false", "encrypt": "false", "sheet": "", "columns": ""},
		Version:     "v0.1.0",
	}
}

// fastConfig skips fsync: for tests of content, not durability.
func fastConfig() config {
	return config{sync: func(*os.File) error { return nil }, now: func() time.Time { return time.Unix(1767225600, 0) }}
}

// op is one journal call in a scripted run; kind 'R' closes the journal and
// opens it again (a new run).
type op struct {
	kind   byte
	row, n int
	o      batch.Outcome
}

func attempt(row, n int) op             { return op{kind: kindAttempt, row: row, n: n} }
func answered(row, n int) op            { return op{kind: kindAnswered, row: row, n: n} }
func final(row int, o batch.Outcome) op { return op{kind: kindFinal, row: row, o: o} }
func rerun() op                         { return op{kind: 'R'} }

// apply runs one op on j.
func apply(t *testing.T, j *Journal, o op) {
	t.Helper()
	var err error
	switch o.kind {
	case kindAttempt:
		err = j.Attempt(o.row, o.n)
	case kindAnswered:
		err = j.Answered(o.row, o.n)
	case kindFinal:
		err = j.Final(o.row, o.o)
	default:
		t.Fatalf("apply: op %q", o.kind)
	}
	if err != nil {
		t.Fatalf("%c %d: %v", o.kind, o.row, err)
	}
}

// script opens a fresh journal at path, runs ops (reopening at each rerun
// op), closes it, and returns the State a new Open replays.
func script(t *testing.T, path string, ops []op) *State {
	t.Helper()
	j, _, err := open(path, testMeta(), true, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.kind == 'R' {
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			if j, _, err = open(path, testMeta(), false, fastConfig()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		apply(t, j, o)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return reopen(t, path)
}

// reopen opens the journal at path, closes it, and returns its State.
func reopen(t *testing.T, path string) *State {
	t.Helper()
	j, st, err := open(path, testMeta(), false, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return st
}

// diffState compares States, treating nil and empty maps alike.
func diffState(want, got *State) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "out.xlsx.journal")
}
