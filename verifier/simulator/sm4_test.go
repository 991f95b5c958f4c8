package simulator

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjsm4 "github.com/tjfoc/gmsm/sm4"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// sampleRows reads the rows of samples/customers.csv that pass the local
// checks: the ones a run sends.
func sampleRows(t *testing.T) []batch.Fields {
	t.Helper()
	r, err := reader.Open("../../samples/customers.csv", reader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []batch.Fields
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Problem == nil {
			rows = append(rows, row.Fields)
		}
	}
	if len(rows) < 10 {
		t.Fatalf("samples: only %d sendable rows", len(rows))
	}
	return rows
}

// Both algorithms on the samples: the simulator decrypts each request and
// answers exactly what it answers the plain run, and no recorded body
// holds a value in clear.
func TestEncryptBothAlgorithmsOnSamples(t *testing.T) {
	rows := sampleRows(t)
	sim, base := start(t, Config{})
	plain := client(t, base, nil)
	want := make([]batch.Answer, len(rows))
	for i, f := range rows {
		want[i] = plain.Verify(context.Background(), f)
	}
	for _, alg := range []string{verifier.AlgorithmAES, verifier.AlgorithmSM4GCM} {
		t.Run(alg, func(t *testing.T) {
			pemBytes := sim.PublicKeyPEM()
			if alg == verifier.AlgorithmSM4GCM {
				pemBytes = sim.SM2PublicKeyPEM()
			}
			key, err := verifier.ParseEncryptionKey(alg, pemBytes)
			if err != nil {
				t.Fatalf("ParseEncryptionKey(simulator key): %v", err)
			}
			rec := &recorder{}
			c := client(t, base, func(cfg *verifier.Config) {
				cfg.Encrypt, cfg.Algorithm, cfg.Key, cfg.Transport = true, alg, key, rec
			})
			for i, f := range rows {
				a := c.Verify(context.Background(), f)
				if a.Class != want[i].Class || a.Result != want[i].Result || a.Code != want[i].Code {
					t.Errorf("row %d: %v %q %q, plain run %v %q %q", i, a.Class, a.Result, a.Code, want[i].Class, want[i].Result, want[i].Code)
				}
			}
			if len(rec.bodies) != len(rows) {
				t.Fatalf("recorded %d bodies, want %d", len(rec.bodies), len(rows))
			}
			for i, b := range rec.bodies {
				if !bytes.Contains(b, []byte(`"Algorithm":"`+alg+`"`)) {
					t.Errorf("body %d is not %s", i, alg)
				}
				f := rows[i]
				for _, v := range []string{f.Name, f.BankCard, f.Phone, f.IDCard} {
					if bytes.Contains(b, []byte(v)) {
						t.Errorf("body %d holds a plain value (%d characters)", i, len(v))
					}
				}
			}
		})
	}
}

// A request built per SPEC 13 with an independent implementation
// (tjfoc/gmsm: its SM2 in C1C3C2 order, its SM4 block in Go's GCM) under
// the simulator's published SM2 key decrypts in the simulator.
func TestIndependentSM4RequestDecrypts(t *testing.T) {
	sim, base := start(t, Config{})
	pub, err := tjx509.ReadPublicKeyFromPem(sim.SM2PublicKeyPEM())
	if err != nil {
		t.Fatalf("tjfoc cannot read the simulator's SM2 key: %v", err)
	}
	customer := Registry()[0]
	body := independentBody(t, pub, customer)
	if a := send(t, base, rawReq{body: body}); a.result != "0" {
		t.Errorf("independent SM4-GCM request: %+v, want Result 0", a)
	}
	if st := sim.Stats(); st.Charged != 1 {
		t.Errorf("simulator charged %d, want 1", st.Charged)
	}
}

// independentBody encodes f as an SM4-GCM request body with tjfoc/gmsm.
func independentBody(t *testing.T, pub *tjsm2.PublicKey, f batch.Fields) string {
	t.Helper()
	key := make([]byte, 16)
	nonce := make([]byte, 12)
	rand.Read(key)
	rand.Read(nonce)
	block, err := tjsm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	blob, err := tjsm2.Encrypt(pub, key, rand.Reader, tjsm2.C1C3C2)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	fields := []string{f.Name, f.BankCard, f.Phone, f.IDCard}
	var tags []string
	for i, v := range fields {
		sealed := aead.Seal(nil, nonce, []byte(v), nil)
		fields[i] = b64(sealed[:len(sealed)-16])
		tags = append(tags, b64(sealed[len(sealed)-16:]))
	}
	b, _ := json.Marshal(map[string]any{
		"Name": fields[0], "BankCard": fields[1], "Phone": fields[2], "IdCard": fields[3],
		"Encryption": map[string]any{
			"CiphertextBlob": b64(blob),
			"EncryptList":    []string{"Name", "BankCard", "Phone", "IdCard"},
			"Iv":             b64(nonce),
			"Algorithm":      "SM4-GCM",
			"TagList":        tags,
		},
	})
	return string(b)
}

// rewriter is a Transport that changes the Encryption of each body and
// signs it again, as a tampering proxy with the credential would.
type rewriter struct{ change func(e map[string]any) }

func (rw rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body.Close()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	rw.change(m["Encryption"].(map[string]any))
	b, _ = json.Marshal(m)
	ts, _ := strconv.ParseInt(req.Header.Get("X-TC-Timestamp"), 10, 64)
	signed := verifier.Sign(LocalSecretID, LocalSecretKey, "faceid", map[string]string{"content-type": "application/json", "host": req.Host}, b, ts)
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", signed.Authorization)
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.ContentLength = int64(len(b))
	return http.DefaultTransport.RoundTrip(req)
}

// What the simulator cannot decrypt gets FailedOperation.DecryptSystemError:
// a tampered tag, an ASN.1-encoded key blob, the wrong key, tags swapped.
// Through the client the row ends in error, not charged, and the simulator
// charged nothing.
func TestSM4DecryptSystemError(t *testing.T) {
	flipTag := func(e map[string]any) {
		tags := e["TagList"].([]any)
		tag, _ := base64.StdEncoding.DecodeString(tags[1].(string))
		tag[15] ^= 0x80
		tags[1] = base64.StdEncoding.EncodeToString(tag)
	}
	toASN1 := func(e map[string]any) {
		raw, _ := base64.StdEncoding.DecodeString(e["CiphertextBlob"].(string))
		der, err := tjsm2.CipherMarshal(raw)
		if err != nil {
			t.Error(err)
		}
		e["CiphertextBlob"] = base64.StdEncoding.EncodeToString(der)
	}
	swapTags := func(e map[string]any) {
		tags := e["TagList"].([]any)
		tags[0], tags[3] = tags[3], tags[0]
	}
	dropTag := func(e map[string]any) { e["TagList"] = e["TagList"].([]any)[:3] }
	tests := []struct {
		name      string
		published bool // encrypt under Tencent's key, not the simulator's
		change    func(map[string]any)
	}{
		{"tampered tag", false, flipTag},
		{"ASN.1 key blob", false, toASN1},
		{"tags swapped", false, swapTags},
		{"a tag missing", false, dropTag},
		{"wrong key", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := start(t, Config{})
			key, err := verifier.ParseEncryptionKey(verifier.AlgorithmSM4GCM, sim.SM2PublicKeyPEM())
			if tt.published {
				key, err = verifier.PublishedKey(verifier.AlgorithmSM4GCM)
			}
			if err != nil {
				t.Fatal(err)
			}
			c := client(t, base, func(cfg *verifier.Config) {
				cfg.Encrypt, cfg.Algorithm, cfg.Key = true, verifier.AlgorithmSM4GCM, key
				if tt.change != nil {
					cfg.Transport = rewriter{tt.change}
				}
			})
			a := c.Verify(context.Background(), Registry()[0])
			if a.Class != batch.ClassRowError || a.Code != "FailedOperation.DecryptSystemError" {
				t.Errorf("answer %v %q %s, want row-error FailedOperation.DecryptSystemError", a.Class, a.Code, a.Message)
			}
			if got := verifier.Charges(a.Class); got != "not charged" {
				t.Errorf("tool says %s", got)
			}
			if st := sim.Stats(); st.Charged+st.Unknown+st.Free != 0 || st.ByError["FailedOperation.DecryptSystemError"] != 1 {
				t.Errorf("simulator stats %+v, want one DecryptSystemError and nothing billed", st)
			}
		})
	}
}
