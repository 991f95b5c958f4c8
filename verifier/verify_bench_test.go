package verifier

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// BenchmarkVerify measures the client's own cost per call against a
// loopback server that answers at once.
func BenchmarkVerify(b *testing.B) {
	for _, encrypt := range []bool{false, true} {
		name := "plain"
		if encrypt {
			name = "encrypt"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, resultBody("0", "Authentication passed", "74e742e8-f91d-49c3-9744-c20f3baca117"))
			}))
			defer srv.Close()
			c, err := New(Config{Endpoint: srv.URL, Credential: testCred, Encrypt: encrypt})
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
