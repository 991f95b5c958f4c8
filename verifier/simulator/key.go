package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// keyBits is the size of the simulator's RSA key. Tencent's published
// faceid key is 1024 bits; the simulator uses 2048, which every client
// must handle too.
const keyBits = 2048

// privateKey returns the key pair, making it on first use.
func (s *Simulator) privateKey() (*rsa.PrivateKey, error) {
	s.keyOnce.Do(func() {
		s.key, s.keyErr = rsa.GenerateKey(rand.Reader, keyBits)
		if s.keyErr != nil {
			s.keyErr = fmt.Errorf("simulator rsa key: %w", s.keyErr)
		}
	})
	return s.key, s.keyErr
}

// PublicKeyPEM returns the public half of the simulator's key pair as a
// PKCS#1 "RSA PUBLIC KEY" PEM block, the form Tencent publishes its key in.
// It returns nil only if the key could not be made (the system has no
// randomness).
func (s *Simulator) PublicKeyPEM() []byte {
	k, err := s.privateKey()
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
}

// sm2Key returns the SM2 key pair for SM4-GCM, making it on first use.
func (s *Simulator) sm2Key() (*sm2.PrivateKey, error) {
	s.sm2Once.Do(func() {
		s.sm2, s.sm2Err = sm2.GenerateKey(rand.Reader)
		if s.sm2Err != nil {
			s.sm2Err = fmt.Errorf("simulator sm2 key: %w", s.sm2Err)
		}
	})
	return s.sm2, s.sm2Err
}

// SM2PublicKeyPEM returns the public half of the simulator's SM2 key pair,
// for SM4-GCM, as a "PUBLIC KEY" PEM block (SubjectPublicKeyInfo), the form
// Tencent publishes its SM2 key in. It returns nil only if the key could
// not be made.
func (s *Simulator) SM2PublicKeyPEM() []byte {
	k, err := s.sm2Key()
	if err != nil {
		return nil
	}
	der, err := smx509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SM2PrivateKey returns the simulator's SM2 private key, for tests that
// decrypt what a client sent.
func (s *Simulator) SM2PrivateKey() (*sm2.PrivateKey, error) { return s.sm2Key() }
