package simulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
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
