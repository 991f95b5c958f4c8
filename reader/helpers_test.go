package reader

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// today is the fixed "today" of the tests.
var today = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return today }

// writeFile writes data to name in a new temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll opens path and returns its header, rows and blank count.
func readAll(t testing.TB, path string, o Options) (batch.Header, []batch.Row, int) {
	t.Helper()
	if o.Now == nil {
		o.Now = fixedNow
	}
	r, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var rows []batch.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
	return r.Header(), rows, r.Blank()
}

// A valid customer, in normalised form.
const (
	goodName  = "张伟"
	goodCard  = "6222023416721109"
	goodPhone = "16689915737"
	goodID    = "110101198503129492"
)

var goodFields = batch.Fields{Name: goodName, BankCard: goodCard, Phone: goodPhone, IDCard: goodID}
