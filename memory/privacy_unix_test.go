//go:build unix

package memory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// privateRows are the test customers whose data must appear in no file
// the memory writes.
var privateRows = []batch.Fields{
	{Name: "张伟", BankCard: "6222021234567890123", Phone: "13912345678", IDCard: "11010519491231002X"},
	{Name: "欧阳娜娜", BankCard: "6217001234567890", Phone: "18698765432", IDCard: "440305199912319876", CertType: "0"},
	{Name: "Li Wei", BankCard: "4367421234567890", Phone: "15011112222", IDCard: "310101200001011234"},
}

// needles are the forms of each element that must not be found: as is,
// and as a plain SHA-256 (raw, lower- and upper-case hex).
func needles(rows []batch.Fields) map[string][]byte {
	m := map[string][]byte{}
	for _, f := range rows {
		for _, v := range []string{f.Name, f.BankCard, f.Phone, f.IDCard, f.Name + f.BankCard + f.Phone + f.IDCard} {
			sum := sha256.Sum256([]byte(v))
			m[v] = []byte(v)
			m["sha256 "+v] = sum[:]
			m["sha256 hex "+v] = []byte(hex.EncodeToString(sum[:]))
			m["SHA256 HEX "+v] = []byte(strings.ToUpper(hex.EncodeToString(sum[:])))
		}
	}
	return m
}

// scan reports every needle found in a file of dir.
func scan(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, n := range needles {
			if bytes.Contains(b, n) {
				found = append(found, filepath.Base(path)+": "+name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestNoPersonalDataAndModes fills a memory under umask 022 and scans
// every file it wrote (database, -wal, -shm, key), while it is open and
// after it is closed, for the test customers' data; and checks the modes.
func TestNoPersonalDataAndModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state", "bankcard4e")
	s, err := Open(filepath.Join(dir, "memory.db"), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range privateRows {
		r := batch.Remembered{Result: "0", Description: "Verification passed", Charged: batch.ChargedYes, RequestID: "6f1c0c9e-2b7a-4d0e-9a55-0000000000" + string(rune('0'+i)), AnsweredAt: t0, Endpoint: epA}
		if err := s.Record(ctx, s.RowKey(f), r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReserveCard(ctx, s.CardKey(f.BankCard), t0.Add(time.Duration(i)), 3); err != nil {
			t.Fatal(err)
		}
	}
	n := needles(privateRows)
	check := func(when string, want []string) {
		t.Helper()
		for _, f := range scan(t, dir, n) {
			t.Errorf("%s: found %s", when, f)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: directory: %v, %v; want mode 0700", when, fi.Mode(), err)
		}
		for _, name := range want {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%s: %v", when, err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %04o, want 0600", when, name, fi.Mode().Perm())
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s: %s has mode %04o", when, e.Name(), fi.Mode().Perm())
			}
		}
	}
	check("open", []string{"memory.db", "memory.db-wal", "memory.db-shm", "memory.key"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed", []string{"memory.db", "memory.key"})

	// The scan finds what it looks for: a file holding one plain hash is caught.
	sum := sha256.Sum256([]byte(privateRows[0].IDCard))
	if err := os.WriteFile(filepath.Join(dir, "decoy"), []byte("x"+hex.EncodeToString(sum[:])+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if found := scan(t, dir, n); len(found) != 1 {
		t.Errorf("the scan found %v in a file holding one plain SHA-256 hex", found)
	}
}
