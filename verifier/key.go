package verifier

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// The Encryption.Algorithm values the client can send (SPEC sections 5, 13).
const (
	AlgorithmAES    = "AES-256-CBC" // the default: AES-256-CBC, key wrapped with RSA PKCS#1 v1.5
	AlgorithmSM4GCM = "SM4-GCM"     // China's national algorithms: SM4-GCM, key encrypted with SM2
)

// PublishedSM2KeyBase64 is Tencent's published SM2 public key for SM4-GCM
// (SubjectPublicKeyInfo, base64), as SPEC section 13 gives it.
const PublishedSM2KeyBase64 = "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEy2QjbKC4L6LJpw51mjX90X41NYGaMp+OGX7eJBfs8K98MOtKN8wPjj1iqHUlW6qyPGggNPI5RGEoAXaojOVycg=="

// PublishedSM2KeyPEM is PublishedSM2KeyBase64 as a "PUBLIC KEY" PEM block.
var PublishedSM2KeyPEM = "-----BEGIN PUBLIC KEY-----\n" +
	PublishedSM2KeyBase64[:64] + "\n" + PublishedSM2KeyBase64[64:] + "\n" +
	"-----END PUBLIC KEY-----\n"

// ParseAlgorithm checks an --encryption-algorithm value, in any case; ""
// is AES-256-CBC. It returns the canonical spelling.
func ParseAlgorithm(s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", AlgorithmAES:
		return AlgorithmAES, nil
	case AlgorithmSM4GCM:
		return AlgorithmSM4GCM, nil
	}
	return "", fmt.Errorf("encryption algorithm %q: want %s or %s", s, AlgorithmAES, AlgorithmSM4GCM)
}

// EncryptionKey is the public key that protects each request's field key:
// an RSA key for AES-256-CBC or an SM2 key for SM4-GCM. Make one with
// ParseEncryptionKey or PublishedKey; it is immutable and safe to share.
type EncryptionKey struct {
	algorithm string
	rsa       *rsa.PublicKey
	sm2       *ecdsa.PublicKey
}

// Algorithm is the Encryption.Algorithm this key serves.
func (k *EncryptionKey) Algorithm() string { return k.algorithm }

// RSAKey returns the key for AES-256-CBC, nil for an SM2 key.
func (k *EncryptionKey) RSAKey() *rsa.PublicKey { return k.rsa }

// SM2Key returns the key for SM4-GCM, nil for an RSA key.
func (k *EncryptionKey) SM2Key() *ecdsa.PublicKey { return k.sm2 }

// NewRSAKey wraps an RSA public key for AES-256-CBC.
func NewRSAKey(pub *rsa.PublicKey) *EncryptionKey {
	return &EncryptionKey{algorithm: AlgorithmAES, rsa: pub}
}

// PublishedKey returns Tencent's published key for algorithm (see
// ParseAlgorithm): the RSA key of SPEC section 5 or the SM2 key of 13.
func PublishedKey(algorithm string) (*EncryptionKey, error) {
	alg, err := ParseAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	if alg == AlgorithmSM4GCM {
		return ParseEncryptionKey(alg, []byte(PublishedSM2KeyPEM))
	}
	return ParseEncryptionKey(alg, []byte(PublishedKeyPEM))
}

// ParseEncryptionKey reads the --encryption-key PEM for algorithm (see
// ParseAlgorithm). AES-256-CBC takes an RSA public key ("RSA PUBLIC KEY" or
// "PUBLIC KEY"); SM4-GCM takes an SM2 public key ("PUBLIC KEY",
// SubjectPublicKeyInfo on the SM2 curve). A key of the wrong kind for the
// algorithm, a private key or anything else is refused with an error that
// says which kind is wanted: call it before the first request.
func ParseEncryptionKey(algorithm string, pemBytes []byte) (*EncryptionKey, error) {
	alg, err := ParseAlgorithm(algorithm)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("public key: no PEM block found")
	}
	kind := keyKind(block)
	switch {
	case alg == AlgorithmAES && kind == "SM2":
		return nil, fmt.Errorf("public key: an SM2 key cannot be used with %s, which needs an RSA public key (or use --encryption-algorithm %s)", AlgorithmAES, AlgorithmSM4GCM)
	case alg == AlgorithmSM4GCM && kind == "RSA":
		return nil, fmt.Errorf("public key: an RSA key cannot be used with %s, which needs an SM2 public key (or use --encryption-algorithm %s)", AlgorithmSM4GCM, AlgorithmAES)
	case alg == AlgorithmAES:
		pub, err := ParsePublicKey(pemBytes)
		if err != nil {
			return nil, err
		}
		return NewRSAKey(pub), nil
	}
	pub, err := parseSM2(block)
	if err != nil {
		return nil, err
	}
	return &EncryptionKey{algorithm: AlgorithmSM4GCM, sm2: pub}, nil
}

// keyKind says whether a PEM block holds an RSA or an SM2 public key, or
// "" when it is neither (or not readable).
func keyKind(block *pem.Block) string {
	if block.Type == "RSA PUBLIC KEY" {
		return "RSA"
	}
	if block.Type != "PUBLIC KEY" {
		return ""
	}
	k, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return ""
	}
	switch k := k.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			return "SM2"
		}
	}
	return ""
}

// parseSM2 reads an SM2 public key from a "PUBLIC KEY" block.
func parseSM2(block *pem.Block) (*ecdsa.PublicKey, error) {
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("public key: PEM block %q: want PUBLIC KEY (an SM2 SubjectPublicKeyInfo)", block.Type)
	}
	k, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: PUBLIC KEY block: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != sm2.P256() {
		return nil, fmt.Errorf("public key: %T is not an SM2 key", k)
	}
	return ek, nil
}

// SM2PublicKeyPEM encodes an SM2 public key as a "PUBLIC KEY" PEM block
// (SubjectPublicKeyInfo), the form ParseEncryptionKey reads.
func SM2PublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("sm2 public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
