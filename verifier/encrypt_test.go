package verifier

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestParsePublicKey(t *testing.T) {
	pub, err := ParsePublicKey([]byte(PublishedKeyPEM))
	if err != nil {
		t.Fatalf("published key: %v", err)
	}
	if pub.N.BitLen() != 1024 || pub.E != 65537 {
		t.Errorf("published key: %d bits, e=%d", pub.N.BitLen(), pub.E)
	}

	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pem  []byte
		ok   bool
	}{
		{"PKIX", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}), true},
		{"PKCS1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&priv.PublicKey)}), true},
		{"PKIX labelled PKCS1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkix}), true},
		{"private key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}), false},
		{"not PEM", []byte("hello"), false},
		{"garbage", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("xx")}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePublicKey(tt.pem)
			if !tt.ok {
				if err == nil {
					t.Errorf("ParsePublicKey succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			if !k.Equal(&priv.PublicKey) {
				t.Errorf("ParsePublicKey returned another key")
			}
		})
	}
}

// TestVerifyEncrypt sends an encrypted request to a loopback server, checks
// that no plain field is on the wire, and decrypts what it received.
func TestVerifyEncrypt(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	c := newClient(t, Config{Endpoint: srv.URL, Encrypt: true, PublicKey: &priv.PublicKey})

	var bodies []string
	for range 2 {
		f := sampleFields
		f.CertType = "0"
		if a := c.Verify(t.Context(), f); a.Class != batch.ClassCharged {
			t.Fatalf("Verify = %+v", a)
		}
		r := <-got
		bodies = append(bodies, string(r.body))
		assertNoPersonalData(t, string(r.body))

		var req struct {
			Name, BankCard, Phone, IdCard string
			CertType                      *int
			Encryption                    *Encryption
		}
		if err := json.Unmarshal(r.body, &req); err != nil {
			t.Fatalf("body %s: %v", r.body, err)
		}
		e := req.Encryption
		if e == nil {
			t.Fatalf("body %s has no Encryption", r.body)
		}
		if e.Algorithm != "AES-256-CBC" || strings.Join(e.EncryptList, ",") != "Name,BankCard,Phone,IdCard" {
			t.Errorf("Encryption = %+v", e)
		}
		if req.CertType == nil || *req.CertType != 0 {
			t.Errorf("CertType = %v, want 0 in clear", req.CertType)
		}
		if err := DecryptFields(priv, *e, &req.Name, &req.BankCard, &req.Phone, &req.IdCard); err != nil {
			t.Fatalf("DecryptFields: %v", err)
		}
		back := batch.Fields{Name: req.Name, BankCard: req.BankCard, Phone: req.Phone, IDCard: req.IdCard, CertType: "0"}
		if back != f {
			t.Errorf("decrypted %+v, want %+v", back, f)
		}
	}
	if bodies[0] == bodies[1] {
		t.Errorf("two calls sent the same ciphertext: the key and IV must be fresh each call")
	}
}

func TestEncryptDefaultsToPublishedKey(t *testing.T) {
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	c := newClient(t, Config{Endpoint: srv.URL, Encrypt: true})
	c.Verify(t.Context(), sampleFields)
	r := <-got
	assertNoPersonalData(t, string(r.body))
	var req struct{ Encryption *Encryption }
	if err := json.Unmarshal(r.body, &req); err != nil || req.Encryption == nil {
		t.Fatalf("body %s: no Encryption (%v)", r.body, err)
	}
	// A 1024-bit key wraps the AES key into 128 bytes.
	if n := len(req.Encryption.CiphertextBlob); n != 172 {
		t.Errorf("CiphertextBlob is %d base64 characters, want 172 (1024-bit key)", n)
	}
}

func TestPadding(t *testing.T) {
	for n := range 40 {
		b := []byte(strings.Repeat("x", n))
		p := pad(b, 16)
		if len(p)%16 != 0 || len(p) <= n {
			t.Fatalf("pad(%d bytes) = %d bytes", n, len(p))
		}
		u, err := unpad(p, 16)
		if err != nil || string(u) != string(b) {
			t.Errorf("unpad(pad(%d bytes)) = %q, %v", n, u, err)
		}
	}
	if _, err := unpad(make([]byte, 16), 16); err == nil {
		t.Errorf("unpad accepted zero padding")
	}
}
