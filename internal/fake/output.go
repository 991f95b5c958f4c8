package fake

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// ReadCSV reads a .csv output of verify (its UTF-8 BOM stripped) into
// records, failing tb if it cannot.
func ReadCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return recs
}

// ReadReport reads a --report file, failing tb if it cannot.
func ReadReport(tb testing.TB, path string) batch.Report {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var r batch.Report
	if err := json.Unmarshal(data, &r); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return r
}

// Column is the index of name in a header row; it fails tb when absent.
func Column(tb testing.TB, header []string, name string) int {
	tb.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	tb.Fatalf("no column %q in %v", name, header)
	return -1
}

// StartSimulator serves a simulator made from cfg on a free loopback port
// for the life of tb's test, and returns it with its base URL.
func StartSimulator(tb testing.TB, cfg simulator.Config) (*simulator.Simulator, string) {
	tb.Helper()
	sim, err := simulator.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	return sim, url
}
