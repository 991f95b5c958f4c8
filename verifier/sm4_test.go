package verifier

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	emsm2 "github.com/emmansun/gmsm/sm2"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjsm4 "github.com/tjfoc/gmsm/sm4"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// sentRequest is the JSON body the client sent, with Encryption.
type sentRequest struct {
	Name, BankCard, Phone, IdCard string
	Encryption                    *Encryption
}

func TestParseEncryptionKey(t *testing.T) {
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKIX, _ := x509.MarshalPKIXPublicKey(&rsaPriv.PublicKey)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPKIX})
	sm2Priv, err := emsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sm2PEM, err := SM2PublicKeyPEM(&sm2Priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256DER, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	p256PEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p256DER})

	tests := []struct {
		name, alg string
		pem       []byte
		wantErr   string // "" for success
	}{
		{"published RSA for AES", AlgorithmAES, []byte(PublishedKeyPEM), ""},
		{"published SM2 for SM4", AlgorithmSM4GCM, []byte(PublishedSM2KeyPEM), ""},
		{"RSA PKIX for AES", "aes-256-cbc", rsaPEM, ""},
		{"SM2 for SM4", "sm4-gcm", sm2PEM, ""},
		{"SM2 for AES", AlgorithmAES, sm2PEM, "SM2 key cannot be used with AES-256-CBC"},
		{"RSA PKCS1 for SM4", AlgorithmSM4GCM, []byte(PublishedKeyPEM), "RSA key cannot be used with SM4-GCM"},
		{"RSA PKIX for SM4", AlgorithmSM4GCM, rsaPEM, "RSA key cannot be used with SM4-GCM"},
		{"NIST P-256 for SM4", AlgorithmSM4GCM, p256PEM, "not an SM2 key"},
		{"NIST P-256 for AES", AlgorithmAES, p256PEM, "not an RSA key"},
		{"private key", AlgorithmSM4GCM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), "want PUBLIC KEY"},
		{"not PEM", AlgorithmSM4GCM, []byte("hello"), "no PEM block"},
		{"unknown algorithm", "SM4-CBC", sm2PEM, `encryption algorithm "SM4-CBC"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseEncryptionKey(tt.alg, tt.pem)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseEncryptionKey = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEncryptionKey: %v", err)
			}
			alg, _ := ParseAlgorithm(tt.alg)
			if k.Algorithm() != alg || (alg == AlgorithmSM4GCM) != (k.SM2Key() != nil) || (alg == AlgorithmAES) != (k.RSAKey() != nil) {
				t.Errorf("key %+v for %s", k, alg)
			}
		})
	}
	// The published SM2 key is the one SPEC 13 prints.
	k, err := PublishedKey(AlgorithmSM4GCM)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := SM2PublicKeyPEM(k.SM2Key())
	blk, _ := pem.Decode(back)
	if got := base64.StdEncoding.EncodeToString(blk.Bytes); got != PublishedSM2KeyBase64 {
		t.Errorf("published SM2 key re-encodes as %s", got)
	}
	// New refuses a key of the other algorithm.
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", Credential: testCred, Encrypt: true, Algorithm: AlgorithmAES, Key: k}); err == nil {
		t.Errorf("New accepted an SM2 key for AES-256-CBC")
	}
	rk := NewRSAKey(&rsaPriv.PublicKey)
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", Credential: testCred, Encrypt: true, Algorithm: AlgorithmSM4GCM, Key: rk}); err == nil {
		t.Errorf("New accepted an RSA key for SM4-GCM")
	}
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", Credential: testCred, Encrypt: true, Algorithm: AlgorithmSM4GCM, PublicKey: &rsaPriv.PublicKey}); err == nil {
		t.Errorf("New accepted Config.PublicKey (RSA) for SM4-GCM")
	}
}

// Our client's SM4-GCM request decrypts with an independent implementation:
// tjfoc/gmsm's SM2 (C1C3C2, 04 prefix) and its SM4 block cipher in Go's
// GCM. So the encoding agrees with a second library, not only with itself.
func TestSM4GCMDecryptsWithIndependentLibrary(t *testing.T) {
	tjPriv, err := tjsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := tjx509.WritePublicKeyToPem(&tjPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseEncryptionKey(AlgorithmSM4GCM, pubPEM)
	if err != nil {
		t.Fatalf("ParseEncryptionKey(tjfoc PEM): %v", err)
	}
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	c := newClient(t, Config{Endpoint: srv.URL, Encrypt: true, Algorithm: AlgorithmSM4GCM, Key: key})
	if a := c.Verify(t.Context(), sampleFields); a.Class != batch.ClassCharged {
		t.Fatalf("Verify = %+v", a)
	}
	r := <-got
	assertNoPersonalData(t, string(r.body))
	var req sentRequest
	if err := json.Unmarshal(r.body, &req); err != nil || req.Encryption == nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	e := req.Encryption
	if e.Algorithm != "SM4-GCM" || strings.Join(e.EncryptList, ",") != "Name,BankCard,Phone,IdCard" || len(e.TagList) != 4 {
		t.Fatalf("Encryption = %+v", e)
	}
	blob, _ := base64.StdEncoding.DecodeString(e.CiphertextBlob)
	if len(blob) != 113 || blob[0] != 0x04 {
		t.Fatalf("CiphertextBlob: %d bytes starting %#x, want 113 starting 04", len(blob), blob[0])
	}
	sm4Key, err := tjsm2.Decrypt(tjPriv, blob, tjsm2.C1C3C2)
	if err != nil {
		t.Fatalf("tjfoc SM2 decrypt: %v", err)
	}
	plain := independentOpen(t, sm4Key, e, req.Name, req.BankCard, req.Phone, req.IdCard)
	want := []string{sampleFields.Name, sampleFields.BankCard, sampleFields.Phone, sampleFields.IDCard}
	if strings.Join(plain, "|") != strings.Join(want, "|") {
		t.Errorf("tjfoc decrypted %q, want %q", plain, want)
	}
}

// independentOpen decrypts the fields with tjfoc's SM4 block in Go's GCM,
// the tag of field i being TagList[i].
func independentOpen(t *testing.T, key []byte, e *Encryption, fields ...string) []string {
	t.Helper()
	block, err := tjsm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _ := base64.StdEncoding.DecodeString(e.Iv)
	var out []string
	for i, f := range fields {
		ct, _ := base64.StdEncoding.DecodeString(f)
		tag, _ := base64.StdEncoding.DecodeString(e.TagList[i])
		pt, err := aead.Open(nil, nonce, append(ct, tag...), nil)
		if err != nil {
			t.Fatalf("field %d: %v", i, err)
		}
		out = append(out, string(pt))
	}
	return out
}

// Over 1,000 requests every SM4 key and every nonce is new.
func TestSM4GCMFreshKeyAndNonce(t *testing.T) {
	priv, err := emsm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		io.WriteString(w, resultBody("0", "ok", "r"))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, Config{Endpoint: srv.URL, Encrypt: true, Algorithm: AlgorithmSM4GCM, Key: &EncryptionKey{algorithm: AlgorithmSM4GCM, sm2: &priv.PublicKey}})
	const n = 1000
	for range n {
		if a := c.Verify(t.Context(), sampleFields); a.Class != batch.ClassCharged {
			t.Fatalf("Verify = %+v", a)
		}
	}
	keys, nonces := map[string]bool{}, map[string]bool{}
	for _, b := range bodies {
		var req sentRequest
		if err := json.Unmarshal(b, &req); err != nil || req.Encryption == nil {
			t.Fatalf("body %s: %v", b, err)
		}
		blob, _ := base64.StdEncoding.DecodeString(req.Encryption.CiphertextBlob)
		k, err := emsm2.Decrypt(priv, blob)
		if err != nil {
			t.Fatalf("SM2 decrypt: %v", err)
		}
		keys[string(k)] = true
		nonces[req.Encryption.Iv] = true
		f := req
		if err := DecryptSM4GCM(priv, *req.Encryption, &f.Name, &f.BankCard, &f.Phone, &f.IdCard); err != nil || f.IdCard != sampleFields.IDCard {
			t.Fatalf("DecryptSM4GCM: %v", err)
		}
	}
	if len(bodies) != n || len(keys) != n || len(nonces) != n {
		t.Errorf("%d requests: %d distinct keys, %d distinct nonces; want %d of each", len(bodies), len(keys), len(nonces), n)
	}
}

// DecryptSM4GCM refuses a tampered tag, a swapped tag order, an ASN.1
// blob and the wrong key.
func TestDecryptSM4GCMRefuses(t *testing.T) {
	priv, _ := emsm2.GenerateKey(rand.Reader)
	other, _ := emsm2.GenerateKey(rand.Reader)
	seal := func() (*Encryption, []string) {
		f := sampleFields
		e, err := encryptSM4GCM(&priv.PublicKey, &f.Name, &f.BankCard, &f.Phone, &f.IDCard)
		if err != nil {
			t.Fatal(err)
		}
		return e, []string{f.Name, f.BankCard, f.Phone, f.IDCard}
	}
	open := func(k *emsm2.PrivateKey, e *Encryption, v []string) error {
		return DecryptSM4GCM(k, *e, &v[0], &v[1], &v[2], &v[3])
	}
	e, v := seal()
	if err := open(priv, e, v); err != nil || v[0] != sampleFields.Name {
		t.Fatalf("sound request: %v", err)
	}
	tests := []struct {
		name   string
		key    *emsm2.PrivateKey
		change func(e *Encryption)
	}{
		{"tampered tag", priv, func(e *Encryption) {
			tag, _ := base64.StdEncoding.DecodeString(e.TagList[2])
			tag[0] ^= 1
			e.TagList[2] = base64.StdEncoding.EncodeToString(tag)
		}},
		{"tags swapped", priv, func(e *Encryption) { e.TagList[0], e.TagList[1] = e.TagList[1], e.TagList[0] }},
		{"ASN.1 blob", priv, func(e *Encryption) { e.CiphertextBlob = toASN1(t, e.CiphertextBlob) }},
		{"wrong key", other, func(*Encryption) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, v := seal()
			tt.change(e)
			if err := open(tt.key, e, v); err == nil {
				t.Errorf("DecryptSM4GCM accepted it")
			}
		})
	}
}

// toASN1 re-encodes a base64 C1C3C2 SM2 ciphertext as the ASN.1 form
// (GB/T 35276), which the service does not take.
func toASN1(t *testing.T, b64 string) string {
	t.Helper()
	raw, _ := base64.StdEncoding.DecodeString(b64)
	der, err := tjsm2.CipherMarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
