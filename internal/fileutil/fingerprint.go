package fileutil

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// Fingerprint is an io.Writer that hashes what is written to it: the
// input's SHA-256 and size, taken while another pass reads the file.
type Fingerprint struct {
	h hash.Hash
	n int64
}

// NewFingerprint returns an empty fingerprint.
func NewFingerprint() *Fingerprint { return &Fingerprint{h: sha256.New()} }

// Write adds p to the fingerprint; it never fails.
func (f *Fingerprint) Write(p []byte) (int, error) {
	f.n += int64(len(p))
	return f.h.Write(p)
}

// Sum is the hex SHA-256 and the number of bytes written so far.
func (f *Fingerprint) Sum() (string, int64) { return hex.EncodeToString(f.h.Sum(nil)), f.n }

// HashFile fingerprints the whole file at path in one read of its own.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open input %q: %w", path, err)
	}
	defer f.Close()
	fp := NewFingerprint()
	if _, err := io.Copy(fp, f); err != nil {
		return "", 0, fmt.Errorf("read input %q: %w", path, err)
	}
	sum, n := fp.Sum()
	return sum, n, nil
}
