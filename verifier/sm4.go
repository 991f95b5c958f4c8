package verifier

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
)

// SM4-GCM sizes (SPEC section 13).
const (
	sm4KeySize = 16
	gcmNonce   = 12
	gcmTag     = 16
	// sm2BlobSize is the SM2 ciphertext of a 16-byte key in C1C3C2 order
	// with an uncompressed C1: 04 || x || y (65) || SM3 hash (32) || 16.
	sm2BlobSize = 65 + 32 + sm4KeySize
)

// sm2Plain is the ciphertext form the service wants: C1 as an uncompressed
// point with its 04 prefix, then C3, then C2; raw bytes, not ASN.1.
var sm2Plain = sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2)

// encryptSM4GCM replaces each of the values in place by base64 of its
// SM4-GCM ciphertext without the tag, under one fresh random 16-byte key and
// 12-byte nonce, and returns the Encryption parameter: the tags in TagList
// in field order, the nonce as Iv, and the key SM2-encrypted under pub.
func encryptSM4GCM(pub *ecdsa.PublicKey, values ...*string) (*Encryption, error) {
	var key [sm4KeySize]byte
	var nonce [gcmNonce]byte
	if _, err := io.ReadFull(rand.Reader, key[:]); err != nil {
		return nil, fmt.Errorf("encrypt: random key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
		return nil, fmt.Errorf("encrypt: random nonce: %w", err)
	}
	aead, err := newSM4GCM(key[:])
	if err != nil {
		return nil, err
	}
	tags := make([]string, len(values))
	for i, v := range values {
		sealed := aead.Seal(nil, nonce[:], []byte(*v), nil)
		ct, tag := sealed[:len(sealed)-gcmTag], sealed[len(sealed)-gcmTag:]
		*v = base64.StdEncoding.EncodeToString(ct)
		tags[i] = base64.StdEncoding.EncodeToString(tag)
	}
	blob, err := sm2.Encrypt(rand.Reader, pub, key[:], sm2Plain)
	if err != nil {
		return nil, fmt.Errorf("encrypt: wrap key with SM2: %w", err)
	}
	return &Encryption{
		CiphertextBlob: base64.StdEncoding.EncodeToString(blob),
		EncryptList:    append([]string(nil), encryptList...),
		Iv:             base64.StdEncoding.EncodeToString(nonce[:]),
		Algorithm:      AlgorithmSM4GCM,
		TagList:        tags,
	}, nil
}

// newSM4GCM returns SM4 in GCM mode with a 12-byte nonce and 16-byte tag.
func newSM4GCM(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sm4: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sm4-gcm: %w", err)
	}
	return aead, nil
}

// DecryptSM4GCM undoes SM4-GCM encryption as the service does: it checks
// that CiphertextBlob is exactly a C1C3C2 SM2 ciphertext with an
// uncompressed 04 point (an ASN.1 blob is refused), decrypts the SM4 key
// with priv, and replaces each of the values (in EncryptList order) by its
// plain text, checking each tag of TagList. The simulator and the tests use it.
func DecryptSM4GCM(priv *sm2.PrivateKey, e Encryption, values ...*string) error {
	if e.Algorithm != AlgorithmSM4GCM {
		return fmt.Errorf("decrypt: algorithm %q: want %s", e.Algorithm, AlgorithmSM4GCM)
	}
	blob, err := base64.StdEncoding.DecodeString(e.CiphertextBlob)
	if err != nil {
		return fmt.Errorf("decrypt: CiphertextBlob: %w", err)
	}
	if len(blob) != sm2BlobSize || blob[0] != 0x04 {
		return fmt.Errorf("decrypt: CiphertextBlob: %d bytes starting %#x, want %d bytes of C1C3C2 with an uncompressed 04 point", len(blob), firstByte(blob), sm2BlobSize)
	}
	key, err := sm2.Decrypt(priv, blob)
	if err != nil {
		return fmt.Errorf("decrypt: SM2 key: %w", err)
	}
	if len(key) != sm4KeySize {
		return fmt.Errorf("decrypt: key is %d bytes, want %d", len(key), sm4KeySize)
	}
	nonce, err := base64.StdEncoding.DecodeString(e.Iv)
	if err != nil || len(nonce) != gcmNonce {
		return fmt.Errorf("decrypt: Iv: want base64 of %d bytes", gcmNonce)
	}
	if len(e.TagList) != len(values) {
		return fmt.Errorf("decrypt: TagList has %d tags, want %d", len(e.TagList), len(values))
	}
	aead, err := newSM4GCM(key)
	if err != nil {
		return err
	}
	for i, v := range values {
		ct, err := base64.StdEncoding.DecodeString(*v)
		if err != nil {
			return fmt.Errorf("decrypt: field %d: not base64", i)
		}
		tag, err := base64.StdEncoding.DecodeString(e.TagList[i])
		if err != nil || len(tag) != gcmTag {
			return fmt.Errorf("decrypt: tag %d: want base64 of %d bytes", i, gcmTag)
		}
		plain, err := aead.Open(nil, nonce, append(ct, tag...), nil)
		if err != nil {
			return fmt.Errorf("decrypt: field %d: %w", i, err)
		}
		*v = string(plain)
	}
	return nil
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
