package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// runApp runs the CLI as main would and returns its output and exit code.
func runApp(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := newApp(&out, &errb).RunContext(ctx, append([]string{"bankcard4e"}, args...))
	if err != nil {
		if ee, ok := err.(*exitError); !ok || ee.err != nil {
			fmt.Fprintf(&errb, "bankcard4e: %v\n", err)
		}
	}
	return out.String(), errb.String(), exitCode(err)
}

// startSim starts a simulator on loopback and points the credential
// environment at its key pair.
func startSim(t *testing.T, cfg simulator.Config) (*simulator.Simulator, string) {
	t.Helper()
	sim, url := fake.StartSimulator(t, cfg)
	id, key := cfg.SecretID, cfg.SecretKey
	if id == "" {
		id, key = simulator.LocalSecretID, simulator.LocalSecretKey
	}
	t.Setenv("TENCENTCLOUD_SECRET_ID", id)
	t.Setenv("TENCENTCLOUD_SECRET_KEY", key)
	t.Setenv("TENCENTCLOUD_SESSION_TOKEN", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", "") // the memory of earlier answers: this test's own, under HOME
	return sim, url
}

// person is fake.Person, short for the tests.
func person(i int) batch.Fields { return fake.Person(i) }

// writeList writes dir/list.csv: fake.WriteList's n rows, every fifth a
// duplicate of the row before it.
func writeList(t *testing.T, dir string, n int) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := fake.WriteList(&b, n); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
