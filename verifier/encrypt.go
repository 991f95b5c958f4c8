package verifier

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// PublishedKeyPEM is Tencent's published faceid RSA public key (PKCS#1), the
// default for --encrypt (SPEC section 5).
const PublishedKeyPEM = `-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBAMRJoaUkZN1d5Mp8F5V6itXmSLNM5Z771afayoI49SndkFtsspHS402Z
EUUPQfqbuZk/VuSh59LtA/fBKzb4BP5bV8aqogVhG4e/q+NDkwlaq0i31HwLyBla
EojE/EEHpXBsuEkVTbKEy5elRq9toL7IZ80i+H2mtfU5CPsar+R3AgMBAAE=
-----END RSA PUBLIC KEY-----
`

// EncryptAlgorithm is the Encryption.Algorithm of AES-256-CBC, the default.
const EncryptAlgorithm = AlgorithmAES

// encryptList is the EncryptList the client sends: all four fields, in
// body order.
var encryptList = []string{"Name", "BankCard", "Phone", "IdCard"}

// Encryption is the request's Encryption parameter: how the listed fields
// were encrypted.
type Encryption struct {
	CiphertextBlob string   // base64 of the field key: RSA PKCS#1 v1.5 (AES) or SM2 C1C3C2 (SM4)
	EncryptList    []string // the fields that hold base64 ciphertext
	Iv             string   // base64 of the 16-byte CBC IV (AES) or the 12-byte GCM nonce (SM4)
	Algorithm      string   // "AES-256-CBC" or "SM4-GCM"
	TagList        []string `json:",omitempty"` // SM4-GCM: base64 of each field's 16-byte tag, in EncryptList order
}

// ParsePublicKey reads an RSA public key from PEM: a "RSA PUBLIC KEY" block
// (PKCS#1) or a "PUBLIC KEY" block (PKIX), as --encryption-key gives it.
func ParsePublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("public key: no PEM block found")
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err == nil {
			return k, nil
		}
		// Some tools label a PKIX key "RSA PUBLIC KEY"; accept it too.
		if k, err2 := parsePKIX(block.Bytes); err2 == nil {
			return k, nil
		}
		return nil, fmt.Errorf("public key: RSA PUBLIC KEY block: %w", err)
	case "PUBLIC KEY":
		return parsePKIX(block.Bytes)
	}
	return nil, fmt.Errorf("public key: PEM block %q: want RSA PUBLIC KEY or PUBLIC KEY", block.Type)
}

func parsePKIX(der []byte) (*rsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key: PUBLIC KEY block: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key: %T is not an RSA key", k)
	}
	return rk, nil
}

// encryptFields replaces each of the values in place by base64(AES-256-CBC,
// PKCS#7) under a fresh random key and IV, and returns the Encryption
// parameter that carries the key wrapped with pub.
func encryptFields(pub *rsa.PublicKey, values ...*string) (*Encryption, error) {
	var key [32]byte
	var iv [aes.BlockSize]byte
	if _, err := io.ReadFull(rand.Reader, key[:]); err != nil {
		return nil, fmt.Errorf("encrypt: random key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, iv[:]); err != nil {
		return nil, fmt.Errorf("encrypt: random iv: %w", err)
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	for _, v := range values {
		plain := pad([]byte(*v), aes.BlockSize)
		cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(plain, plain)
		*v = base64.StdEncoding.EncodeToString(plain)
	}
	//lint:ignore SA1019 Tencent's Encryption parameter wraps the AES key with RSA PKCS #1 v1.5; the service accepts no other scheme
	wrapped, err := rsa.EncryptPKCS1v15(rand.Reader, pub, key[:])
	if err != nil {
		return nil, fmt.Errorf("encrypt: wrap key: %w", err)
	}
	return &Encryption{
		CiphertextBlob: base64.StdEncoding.EncodeToString(wrapped),
		EncryptList:    append([]string(nil), encryptList...),
		Iv:             base64.StdEncoding.EncodeToString(iv[:]),
		Algorithm:      EncryptAlgorithm,
	}, nil
}

// DecryptFields undoes --encrypt, as the service does: it unwraps the AES
// key with priv and replaces each of the values in place by its plain text.
// The simulator and the tests use it.
func DecryptFields(priv *rsa.PrivateKey, e Encryption, values ...*string) error {
	if e.Algorithm != EncryptAlgorithm {
		return fmt.Errorf("decrypt: algorithm %q: want %s", e.Algorithm, EncryptAlgorithm)
	}
	wrapped, err := base64.StdEncoding.DecodeString(e.CiphertextBlob)
	if err != nil {
		return fmt.Errorf("decrypt: CiphertextBlob: %w", err)
	}
	//lint:ignore SA1019 unwraps what the service's PKCS #1 v1.5 scheme wrapped (tests and the simulator only)
	key, err := rsa.DecryptPKCS1v15(nil, priv, wrapped)
	if err != nil {
		return fmt.Errorf("decrypt: unwrap key: %w", err)
	}
	iv, err := base64.StdEncoding.DecodeString(e.Iv)
	if err != nil || len(iv) != aes.BlockSize {
		return errors.New("decrypt: Iv: want base64 of 16 bytes")
	}
	if len(key) != 32 {
		return fmt.Errorf("decrypt: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	for i, v := range values {
		ct, err := base64.StdEncoding.DecodeString(*v)
		if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
			return fmt.Errorf("decrypt: field %d: not base64 of whole AES blocks", i)
		}
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
		plain, err := unpad(ct, aes.BlockSize)
		if err != nil {
			return fmt.Errorf("decrypt: field %d: %w", i, err)
		}
		*v = string(plain)
	}
	return nil
}

// pad returns a copy of b with PKCS#7 padding to a multiple of size.
func pad(b []byte, size int) []byte {
	n := size - len(b)%size
	out := make([]byte, len(b), len(b)+n)
	copy(out, b)
	return append(out, bytes.Repeat([]byte{byte(n)}, n)...)
}

// unpad strips PKCS#7 padding.
func unpad(b []byte, size int) ([]byte, error) {
	if len(b) == 0 || len(b)%size != 0 {
		return nil, errors.New("bad padding")
	}
	n := int(b[len(b)-1])
	if n == 0 || n > size || n > len(b) {
		return nil, errors.New("bad padding")
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errors.New("bad padding")
		}
	}
	return b[:len(b)-n], nil
}
