package memory

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestKeys(t *testing.T) {
	a, _ := NewKeys(bytes.Repeat([]byte{1}, KeySize))
	b, _ := NewKeys(bytes.Repeat([]byte{2}, KeySize))
	f := batch.Fields{Name: "张伟", BankCard: "6222020000000000", Phone: "13800000000", IDCard: "11010119900307123X"}
	zero := f
	zero.CertType = "0"
	if a.RowKey(f) != a.RowKey(zero) {
		t.Error("cert type 0 and empty give different row keys")
	}
	if a.RowKey(f) == b.RowKey(f) {
		t.Error("two secrets give the same row key")
	}
	split := f
	split.Name, split.BankCard = f.Name+"6", f.BankCard[1:]
	if a.RowKey(split) == a.RowKey(f) {
		t.Error("the same characters split differently between fields give one key")
	}
	if a.CardKey(f.BankCard) == a.RowKey(batch.Fields{Name: f.BankCard}) {
		t.Error("a card key equals a row key")
	}
	if a.CardKey(f.BankCard) == a.CardKey("6222020000000001") {
		t.Error("two cards give one key")
	}
	if _, err := NewKeys(make([]byte, 16)); err == nil {
		t.Error("a 16-byte secret was accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "memory.key")
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range keys {
		wg.Add(1)
		go func() { defer wg.Done(); keys[i], errs[i] = LoadOrCreateKey(path) }()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("racer %d got another key", i)
		}
	}
	if bytes.Equal(keys[0], make([]byte, KeySize)) {
		t.Error("the key is all zero")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", di.Mode().Perm())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path); err == nil {
		t.Error("a key readable by others was accepted")
	}
	short := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(short, []byte("abc"), 0o600)
	if _, err := LoadKey(short); err == nil {
		t.Error("a 3-byte key file was accepted")
	}
}
