// Package memory is the memory of earlier answers (SPEC section 11): an
// embedded SQLite store by default, keyed so that it holds no personal
// data. The Redis store of SPEC section 12 uses the same keys.
package memory

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bankcard4e/bankcard4e/batch"
)

// KeySize is the length of the memory's secret HMAC key.
const KeySize = 32

// Keys derives memory keys from normalised fields under a secret key, so
// the store holds neither the elements nor a plain hash of them: without
// the key, a store's entries cannot be tested against a guessed customer.
// A Keys is safe for concurrent use.
type Keys struct{ secret []byte }

// NewKeys returns the key derivation under secret, which must be KeySize
// bytes.
func NewKeys(secret []byte) (Keys, error) {
	if len(secret) != KeySize {
		return Keys{}, fmt.Errorf("memory key is %d bytes, want %d", len(secret), KeySize)
	}
	return Keys{secret: append([]byte(nil), secret...)}, nil
}

// Domain separators: a row key never equals a card key.
const (
	rowDomain  = "bankcard4e/row/v1\x00"
	cardDomain = "bankcard4e/card/v1\x00"
)

// RowKey is the key of f's four elements and cert type ("" and "0" are the
// same: the resident ID card is the default). Each field is ended by a 0
// byte, which no normalised field holds.
func (k Keys) RowKey(f batch.Fields) batch.MemoryKey {
	ct := f.CertType
	if ct == "0" {
		ct = ""
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(rowDomain))
	for _, s := range [...]string{f.Name, f.BankCard, f.Phone, f.IDCard, ct} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	var out batch.MemoryKey
	m.Sum(out[:0])
	return out
}

// CardKey is the key of a normalised bank card number alone.
func (k Keys) CardKey(bankCard string) batch.MemoryKey {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(cardDomain))
	m.Write([]byte(bankCard))
	var out batch.MemoryKey
	m.Sum(out[:0])
	return out
}

// LoadKey reads a key file: exactly KeySize bytes. A file readable by
// others than its owner is refused, since the key is what keeps the
// entries from being tested against guessed customers.
func LoadKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("memory key %q: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("memory key %q is readable by others (mode %04o); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("memory key %q: %w", path, err)
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("memory key %q holds %d bytes, want %d random bytes", path, len(b), KeySize)
	}
	return b, nil
}

// LoadOrCreateKey reads the key file at path, or makes one of KeySize
// random bytes (mode 0600, its directory 0700) when there is none. Two
// processes racing to create it end with the same key: the file is
// written under a temporary name and linked into place only if absent.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("memory key directory %q: %w", dir, err)
	}
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("memory key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".memory-key-*")
	if err != nil {
		return nil, fmt.Errorf("memory key %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(secret)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(tmp.Name(), path) // fails if another process made it first
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("memory key %q: %w", path, err)
		}
	} else {
		tmp.Close()
		return nil, fmt.Errorf("memory key %q: %w", path, err)
	}
	return LoadKey(path)
}
