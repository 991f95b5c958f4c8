//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"github.com/bankcard4e/bankcard4e/writer"
)

// recorder is a loopback front for a simulator that keeps every request
// body as it came over the wire.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) serve(t *testing.T, sim *simulator.Simulator) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, body)
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// wire returns every body and the string values inside it, as the service
// would decode them (so \u escapes do not hide a name).
func (rec *recorder) wire(t *testing.T) [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out [][]byte
	for _, b := range rec.bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("request body is not JSON: %v", err)
		}
		var vals []string
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				vals = append(vals, v)
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(m)
		out = append(out, b, []byte(strings.Join(vals, "\n")))
	}
	return out
}

// answers is the Status and Result of each row of a .csv output.
func answers(t *testing.T, path string) []string {
	recs := fake.ReadCSV(t, path)
	st, res := fake.Column(t, recs[0], "Status"), fake.Column(t, recs[0], "Result")
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[st]+" "+r[res])
	}
	return out
}

// Issue 6.5, --encrypt: over a whole list, rows get the same answers as
// without it (the registry customers 0), while no request body carries a
// name, card, phone or ID in clear: the four fields are ciphertext and the
// Encryption parameter says so. Both with an external simulator and
// --encryption-key, and with --simulate.
func TestEncryptEndToEnd(t *testing.T) {
	input := filepath.Join("samples", "customers.csv")
	ns := personalData(t, input)
	var mu sync.Mutex
	decrypted := map[string][]batch.Fields{}
	run := ""
	sim, _ := startSim(t, simulator.Config{Inject: func(f batch.Fields, n int) *simulator.Injection {
		mu.Lock()
		decrypted[run] = append(decrypted[run], f)
		mu.Unlock()
		return nil
	}})
	rec := map[string]*recorder{"plain": {}, "encrypt": {}}
	dir := t.TempDir()
	key := filepath.Join(dir, "sim.pem")
	if err := os.WriteFile(key, sim.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plain", "encrypt"} {
		url := rec[name].serve(t, sim)
		args := []string{"verify", "--endpoint", url, "--qps", "500", "--quiet", "--out", filepath.Join(dir, name+".csv")}
		if name == "encrypt" {
			args = append(args, "--encrypt", "--encryption-key", key)
		}
		mu.Lock()
		run = name
		mu.Unlock()
		_, stderr, code := runApp(t, context.Background(), append(args, input)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d; stderr:\n%s", name, code, stderr)
		}
	}
	_, stderr, code := runApp(t, context.Background(), "verify", "--simulate", "--encrypt", "--quiet", "--out", filepath.Join(dir, "simulate.csv"), input)
	if code != exitOK {
		t.Fatalf("--simulate --encrypt: exit %d; stderr:\n%s", code, stderr)
	}

	want := answers(t, filepath.Join(dir, "plain.csv"))
	for i, a := range want[:7] {
		if a != "verified 0" {
			t.Errorf("registry customer in row %d: %q, want verified 0", i+1, a)
		}
	}
	for _, name := range []string{"encrypt", "simulate"} {
		if got := answers(t, filepath.Join(dir, name+".csv")); !slices.Equal(got, want) {
			t.Errorf("answers with %s differ from plain calls:\n got %q\nwant %q", name, got, want)
		}
	}

	// The simulator decrypted exactly what plain calls send.
	mu.Lock()
	key2 := func(a, b batch.Fields) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	p, e := slices.SortedFunc(slices.Values(decrypted["plain"]), key2), slices.SortedFunc(slices.Values(decrypted["encrypt"]), key2)
	mu.Unlock()
	if len(p) == 0 || !slices.Equal(p, e) {
		t.Errorf("the simulator decrypted %d calls that differ from the %d plain ones", len(e), len(p))
	}

	// Only the four fields (and CertType) are sent, never another column,
	// and a row that fails the local checks is not sent at all.
	for _, b := range rec["plain"].bodies {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for k := range m {
			if !slices.Contains([]string{"Name", "BankCard", "Phone", "IdCard", "CertType"}, k) {
				t.Errorf("a plain request body carries %q", k)
			}
		}
		for _, other := range []string{"C00", "Beijing", "Chaoyang"} {
			if bytes.Contains(b, []byte(other)) {
				t.Errorf("a request body carries %q from another column", other)
			}
		}
	}
	for _, f := range invalidFields(t, input) {
		if slices.Contains(p, f) {
			t.Errorf("a row that fails the local checks was sent: %v", needle{batch.FieldIDCard, f.IDCard})
		}
	}

	// The scan finds the values in plain bodies, and none in encrypted ones.
	if hits := found(bytes.Join(rec["plain"].wire(t), nil), ns); len(hits) == 0 {
		t.Fatal("plain request bodies show no personal data: the scan is blind")
	}
	bodies := rec["encrypt"].wire(t)
	if len(bodies) == 0 {
		t.Fatal("no encrypted request recorded")
	}
	for i, b := range bodies {
		expectNone(t, fmt.Sprintf("encrypted request body %d", i/2), b, ns)
	}
	for _, b := range rec["encrypt"].bodies {
		var body struct {
			Name, BankCard, Phone, IdCard string
			Encryption                    *struct {
				CiphertextBlob, Iv, Algorithm string
				EncryptList                   []string
			}
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatal(err)
		}
		if body.Encryption == nil || body.Encryption.Algorithm != "AES-256-CBC" ||
			!slices.Equal(slices.Sorted(slices.Values(body.Encryption.EncryptList)), []string{"BankCard", "IdCard", "Name", "Phone"}) {
			t.Errorf("Encryption parameter missing or incomplete: %+v", body.Encryption)
			continue
		}
		for _, v := range []string{body.Name, body.BankCard, body.Phone, body.IdCard} {
			ct, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(ct) == 0 || len(ct)%16 != 0 {
				t.Errorf("field %q is not AES-CBC ciphertext in base64", writer.Mask(batch.FieldBankCard, v))
			}
		}
	}
}

// Issue 6.6 and 12.8, https: certificates are verified even on loopback. A
// server with a self-signed certificate never sees a request; the run
// aborts within the first attempts (not after the breaker's 50) with a
// message naming the certificate and the fix, and nothing is charged.
func TestEndpointCertificateVerified(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		http.Error(w, "must not be reached", http.StatusTeapot)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	startSim(t, simulator.Config{}) // only for the credential environment
	dir := t.TempDir()
	input := writeList(t, dir, 200)
	out := filepath.Join(dir, "out.csv")
	report := filepath.Join(dir, "report.json")
	_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", srv.URL, "--retries", "5", "--workers", "4", "--quiet",
		"--out", out, "--report", report, input)
	if code == exitOK {
		t.Fatalf("exit 0 against an untrusted certificate; stderr:\n%s", stderr)
	}
	mu.Lock()
	if requests != 0 {
		t.Errorf("%d requests reached a server with an untrusted certificate", requests)
	}
	mu.Unlock()
	// A certificate that is not trusted will not mend by retrying: the run
	// aborts at once (exit 3) with a message naming the certificate.
	if code != exitAborted {
		t.Errorf("exit %d, want %d (aborted at the certificate); stderr:\n%s", code, exitAborted, stderr)
	}
	if !strings.Contains(stderr, "Certificate") || !strings.Contains(stderr, "SSL_CERT_FILE") {
		t.Errorf("stderr does not name the certificate and the fix:\n%s", stderr)
	}
	recs := fake.ReadCSV(t, out)
	st := fake.Column(t, recs[0], "Status")
	errored := 0
	for i, r := range recs[1:] {
		switch r[st] {
		case "error":
			errored++
		case "not attempted", "duplicate":
		default:
			t.Errorf("row %d: status %s, want error, not attempted or duplicate", i+1, r[st])
		}
	}
	// Only the rows already in flight when the first handshake failed
	// (the 4 workers) are tried; each once, not 5 times.
	if errored == 0 || errored > 4 {
		t.Errorf("%d rows were tried against an untrusted certificate, want 1 to 4 (the calls in flight at the first failure)", errored)
	}
	if rep := fake.ReadReport(t, report); rep.Calls > 4 {
		t.Errorf("%d attempts against an untrusted certificate, want at most the 4 in flight", rep.Calls)
	}
	if rep := fake.ReadReport(t, report); rep.Verified != 0 || rep.Charged != 0 {
		t.Errorf("report: %d verified, %d charged, want none", rep.Verified, rep.Charged)
	}
}

// Issue 6.6, http: plain http to anything but loopback is refused before
// the input is read, the journal made or a connection tried (192.0.2.0/24
// is TEST-NET-1: nothing would answer), with exit 1 and a message that says
// https is required.
func TestPlainHTTPRefused(t *testing.T) {
	for _, endpoint := range []string{
		"http://192.0.2.1",
		"http://192.0.2.1:80",
		"http://faceid.tencentcloudapi.com",
		"http://[2001:db8::1]:8080",
		"http://127.0.0.1.nip.io",
		"ftp://127.0.0.1",
	} {
		t.Run(endpoint, func(t *testing.T) {
			startSim(t, simulator.Config{})
			dir := t.TempDir()
			input := writeList(t, dir, 3)
			_, stderr, code := runApp(t, context.Background(), "verify", "--endpoint", endpoint, "--timeout", "1ms", "--retries", "1",
				"--out", filepath.Join(dir, "out.csv"), input)
			if code != exitFatal {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFatal, stderr)
			}
			if !strings.Contains(stderr, "https is required") {
				t.Errorf("stderr does not say https is required:\n%s", stderr)
			}
			checkLeft(t, dir, []string{"list.csv"})
		})
	}
}
