package verifier

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// BenchmarkVerify measures the client's own cost per call against a
// loopback server that answers at once: no encryption, AES-256-CBC with
// RSA, and SM4-GCM with SM2, each under Tencent's published key.
func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name, algorithm string
		encrypt         bool
	}{
		{"plain", "", false},
		{"encrypt", AlgorithmAES, true}, // the name earlier BENCHMARKS.md figures use
		{"sm4-gcm", AlgorithmSM4GCM, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, resultBody("0", "Authentication passed", "74e742e8-f91d-49c3-9744-c20f3baca117"))
			}))
			defer srv.Close()
			c, err := New(Config{Endpoint: srv.URL, Credential: testCred, Encrypt: bc.encrypt, Algorithm: bc.algorithm})
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseIdleConnections()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if a := c.Verify(b.Context(), sampleFields); a.Class != batch.ClassCharged {
						b.Errorf("Verify = %+v", a)
						return
					}
				}
			})
		})
	}
}

// BenchmarkEncryptFields measures the encryption alone, per request.
func BenchmarkEncryptFields(b *testing.B) {
	for _, alg := range []string{AlgorithmAES, AlgorithmSM4GCM} {
		b.Run(alg, func(b *testing.B) {
			k, err := PublishedKey(alg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				f := sampleFields
				var err error
				if alg == AlgorithmSM4GCM {
					_, err = encryptSM4GCM(k.SM2Key(), &f.Name, &f.BankCard, &f.Phone, &f.IDCard)
				} else {
					_, err = encryptFields(k.RSAKey(), &f.Name, &f.BankCard, &f.Phone, &f.IDCard)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
